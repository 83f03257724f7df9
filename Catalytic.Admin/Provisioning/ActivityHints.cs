using Catalytic.Admin.Scim;

namespace Catalytic.Admin.Provisioning;

/// <summary>What an admin can do about a refused SCIM request, with a link to where it is done.</summary>
public sealed record ActivityHint(string Text, string? LinkHref = null, string? LinkText = null);

/// <summary>
/// Turns a failed SCIM request into advice for the admin. The only place that reads error details back:
/// it recognises the directory's and the bearer handler's own messages, so a reworded message shows up in
/// its tests rather than as a missing hint.
/// </summary>
public static class ActivityHints
{
    private const string SsoSettings = "/admin/sso";
    private const string SsoSettingsText = "Open SSO Settings";

    public static ActivityHint? For(ProvisioningEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Succeeded)
        {
            return null;
        }

        var detail = e.Detail ?? "";
        if (e.Operation == ProvisioningLog.DroppedOperation)
        {
            return new ActivityHint(
                "More SCIM requests arrived than this server could record, so some were answered but not logged. "
                + "Raise Catalytic:Activity:MaxQueuedEvents, or check that the database keeps up.");
        }

        return e.Status switch
        {
            401 => ForUnauthorized(detail),
            403 => WrongTeam,
            404 => new ActivityHint(
                "The account this request names does not exist in this team any more (it was deleted here, or the IdP kept an old id). "
                + "Okta: unassign the person from the app and assign them again, so Okta creates the account anew. "
                + "Microsoft Entra ID: provision the person on demand, or restart provisioning and clear the current state."),
            409 when IsAbout(detail, "email") => new ActivityHint(
                "Another account of this team already has this email, and an email belongs to one account only. "
                + "If both are the same person, link them as for a userName conflict; otherwise change the email of one of them, here or in the IdP."),
            409 => UserNameConflict,
            412 => new ActivityHint(
                "The user changed between the IdP's read and its write (another admin, or a second request of the IdP). "
                + "IdPs read the user again and retry; act only if the same user keeps failing."),
            413 => new ActivityHint(
                "The request was larger than this server accepts. Raise Catalytic:Scim:MaxRequestBodyBytes if the IdP legitimately sends that much."),
            400 when IsAbout(detail, "userName") => UserNameMapping(QuotedValue(detail) ?? e.UserName),
            400 when string.Equals(e.ErrorType, "invalidValue", StringComparison.OrdinalIgnoreCase) => new ActivityHint(
                "A value sent by the IdP breaks one of this app's rules; the error above names the attribute. "
                + "Fix the value or the attribute mapping in the IdP, then retry provisioning for this person."),
            400 => new ActivityHint(
                "The IdP sent a request this SCIM endpoint does not understand. Check that the IdP's connector uses SCIM 2.0 "
                + "and the base URL copied from SSO Settings, then compare its request with the error above.",
                SsoSettings,
                SsoSettingsText),
            429 => new ActivityHint(
                "The IdP sent requests faster than this service allows per token (Catalytic:Scim:RateLimit:PermitsPerSecond); "
                + "it retries after the time it was given. Act only if this keeps happening: another job may be using the same token."),
            >= 500 => new ActivityHint(
                "The server could not complete this request; the IdP retries it later. If it keeps failing, look at the server log at this time."),
            _ => null,
        };
    }

    private static readonly ActivityHint UserNameConflict = new(
        "An account with this userName already exists here, for example one an admin created by hand before SCIM was on. "
        + "To link it instead of creating a second account: in Okta, import users from this app (Import tab), let Okta match them "
        + "on userName and choose Confirm, then assign; in Microsoft Entra ID, keep userName as the matching attribute of the user "
        + "mapping ('Match objects using this attribute', precedence 1) so Entra finds the account before creating one. "
        + "If the two are different people, change the userName mapping in the IdP so they get different user names.");

    private static readonly ActivityHint WrongTeam = new(
        "The token belongs to another team, or the SCIM base URL names another team. Copy both the SCIM URL and the token "
        + "from this team's SSO Settings into the IdP.",
        SsoSettings,
        SsoSettingsText);

    private static ActivityHint UserNameMapping(string? sent)
    {
        const string allowed = "User names here are letters and digits only. ";
        return sent?.Contains('@', StringComparison.Ordinal) == true
            ? new ActivityHint(allowed
                + "The IdP sends an email address as userName: map an attribute without '@' instead. "
                + "Microsoft Entra ID: in Provisioning > Attribute mapping, map mailNickname (or an expression that removes the domain "
                + "and punctuation) to userName. Okta: set the app's Application username format to a custom expression such as "
                + "the part of user.login before '@' with dots removed.")
            : new ActivityHint(allowed
                + "Change the attribute mapped to userName in the IdP to one made of letters and digits only "
                + "(Microsoft Entra ID: mailNickname; Okta: the app's Application username format).");
    }

    private static ActivityHint ForUnauthorized(string detail)
    {
        if (detail == ScimBearerAuthentication.Describe(ScimAuthFailure.Revoked) || detail == ScimBearerAuthentication.Describe(ScimAuthFailure.Expired))
        {
            return new ActivityHint(
                "The IdP still uses a token that was revoked or whose grace period after a regeneration is over. "
                + "Copy the current token from SSO Settings (View SCIM Token and URL) into the IdP: Okta's Authorization field "
                + "(Authentication Mode HTTP Header), Microsoft Entra ID's Secret Token. Then test the connection from the IdP.",
                SsoSettings,
                SsoSettingsText);
        }

        if (detail == ScimBearerAuthentication.Describe(ScimAuthFailure.Disabled))
        {
            return new ActivityHint(
                "SCIM is turned off for this team, so every request is refused. Turn on Connect to SCIM in SSO Settings, "
                + "or stop provisioning in the IdP if SCIM was turned off on purpose.",
                SsoSettings,
                SsoSettingsText);
        }

        if (detail == ScimBearerAuthentication.Describe(ScimAuthFailure.Missing))
        {
            return new ActivityHint(
                "The IdP sent no token. Paste the team's SCIM token into the IdP's provisioning settings "
                + "(Okta: Authentication Mode HTTP Header, Authorization field; Microsoft Entra ID: Secret Token).",
                SsoSettings,
                SsoSettingsText);
        }

        return WrongTeam;
    }

    // The directory quotes the refused value first: "userName 'a@b.com' is not allowed: …".
    private static string? QuotedValue(string detail)
    {
        var start = detail.IndexOf('\'', StringComparison.Ordinal);
        var end = start < 0 ? -1 : detail.IndexOf("' ", start + 1, StringComparison.Ordinal);
        return end < 0 ? null : detail[(start + 1)..end];
    }

    private static bool IsAbout(string detail, string attribute) =>
        detail.StartsWith(attribute, StringComparison.OrdinalIgnoreCase);
}
