using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Provisioning;

public sealed class ActivityHintsTests
{
    private static ProvisioningEvent Failed(int status, string? errorType, string? detail) => new()
    {
        Method = "POST",
        Path = "/scim/v2/acme/Users",
        Operation = "create",
        Status = status,
        ErrorType = errorType,
        Detail = detail,
    };

    [Theory]
    [InlineData(200)]
    [InlineData(201)]
    [InlineData(204)]
    public void For_SucceededRequest_HasNoHint(int status) =>
        Assert.Null(ActivityHints.For(Failed(status, null, null)));

    [Fact]
    public async Task For_UserNameConflictFromTheDirectory_ExplainsHowToLinkTheAccountInOktaAndEntra()
    {
        var detail = await DirectoryErrorAsync(new UserProfile { UserName = "ALICE" });

        var hint = ActivityHints.For(Failed(409, "uniqueness", detail.Detail))!;

        Assert.Contains("Okta", hint.Text, StringComparison.Ordinal);
        Assert.Contains("Confirm", hint.Text, StringComparison.Ordinal);
        Assert.Contains("Microsoft Entra ID", hint.Text, StringComparison.Ordinal);
        Assert.Contains("matching attribute", hint.Text, StringComparison.Ordinal);
        Assert.Contains("change the userName mapping", hint.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task For_EmailConflictFromTheDirectory_SaysAnEmailBelongsToOneAccount()
    {
        var detail = await DirectoryErrorAsync(new UserProfile { UserName = "alice2", Email = "ALICE@example.com" });

        var hint = ActivityHints.For(Failed(409, "uniqueness", detail.Detail))!;

        Assert.Contains("email", hint.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("import users", hint.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void For_EmailSentAsUserName_NamesTheMappingsToChange()
    {
        var detail = UserRules.ValidateUserName("alice@contoso.com");

        var hint = ActivityHints.For(Failed(400, "invalidValue", detail))!;

        Assert.Contains("mailNickname", hint.Text, StringComparison.Ordinal);
        Assert.Contains("Application username format", hint.Text, StringComparison.Ordinal);
        Assert.Contains("without '@'", hint.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void For_UserNameWithPunctuation_NamesTheMappingToChange()
    {
        var hint = ActivityHints.For(Failed(400, "invalidValue", UserRules.ValidateUserName("alice.smith")))!;

        Assert.Contains("mailNickname", hint.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("email address", hint.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void For_UserNameRefusedWithoutQuotingIt_UsesTheRecordedUserName()
    {
        var e = Failed(400, "invalidValue", "userName is not allowed here.");
        e.UserName = "bob@contoso.com";

        Assert.Contains("without '@'", ActivityHints.For(e)!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void For_OtherInvalidValue_PointsAtTheAttributeMapping()
    {
        var hint = ActivityHints.For(Failed(400, "invalidValue", UserRules.ValidateEmail("not-an-email")))!;

        Assert.Contains("mapping", hint.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ScimAuthFailure.Revoked)]
    [InlineData(ScimAuthFailure.Expired)]
    public void For_RevokedOrExpiredToken_SaysToCopyTheCurrentTokenFromSsoSettings(ScimAuthFailure failure)
    {
        var hint = ActivityHints.For(Failed(401, null, ScimBearerAuthentication.Describe(failure)))!;

        Assert.Contains("current token", hint.Text, StringComparison.Ordinal);
        Assert.Equal("/admin/sso", hint.LinkHref);
    }

    [Fact]
    public void For_ScimTurnedOff_SaysToTurnItOn()
    {
        var hint = ActivityHints.For(Failed(401, null, ScimBearerAuthentication.Describe(ScimAuthFailure.Disabled)))!;

        Assert.Contains("turned off", hint.Text, StringComparison.Ordinal);
        Assert.Equal("/admin/sso", hint.LinkHref);
    }

    [Fact]
    public void For_MissingToken_SaysToPasteTheToken()
    {
        var hint = ActivityHints.For(Failed(401, null, ScimBearerAuthentication.Describe(ScimAuthFailure.Missing)))!;

        Assert.Contains("sent no token", hint.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401, ScimAuthFailure.Unknown)]
    [InlineData(401, ScimAuthFailure.WrongTeam)]
    [InlineData(403, ScimAuthFailure.WrongTeam)]
    public void For_UnknownOrOtherTeamsToken_SaysToCopyUrlAndToken(int status, ScimAuthFailure failure)
    {
        var hint = ActivityHints.For(Failed(status, null, ScimBearerAuthentication.Describe(failure)))!;

        Assert.Contains("SCIM URL and the token", hint.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401, null)]
    [InlineData(400, null)]
    [InlineData(400, "")]
    [InlineData(409, null)]
    [InlineData(404, "")]
    public void For_FailureWithoutDetail_StillGivesAHint(int status, string? detail) =>
        Assert.NotNull(ActivityHints.For(Failed(status, null, detail)));

    [Theory]
    [InlineData(404, "restart provisioning")]
    [InlineData(412, "retry")]
    [InlineData(413, "MaxRequestBodyBytes")]
    [InlineData(500, "server log")]
    [InlineData(503, "server log")]
    public void For_OtherFailures_GivesTheMatchingAdvice(int status, string expected) =>
        Assert.Contains(expected, ActivityHints.For(Failed(status, null, "x"))!.Text, StringComparison.Ordinal);

    [Fact]
    public void For_InvalidFilter_PointsAtTheConnectorSettings()
    {
        var hint = ActivityHints.For(Failed(400, "invalidFilter", "The filter 'userName co' is incomplete."))!;

        Assert.Contains("SCIM 2.0", hint.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void For_UnexpectedClientError_HasNoHint() =>
        Assert.Null(ActivityHints.For(Failed(418, null, "teapot")));

    private static async Task<UserError> DirectoryErrorAsync(UserProfile conflicting)
    {
        await using var app = new AppFactory();
        var team = await app.CreateTeamAsync();
        await app.CreateUserAsync(team, "alice", email: "alice@example.com");
        var result = await app.Get<UserDirectory>().CreateAsync(team.Id, conflicting, UserSource.Idp, TestContext.Current.CancellationToken);
        Assert.Equal(UserErrorKind.Uniqueness, result.Error?.Kind);
        return result.Error!;
    }
}
