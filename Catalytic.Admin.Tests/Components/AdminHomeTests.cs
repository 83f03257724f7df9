using Bunit;
using Catalytic.Admin.Components.Pages.Admin;
using Catalytic.Admin.Tests.Infrastructure;

namespace Catalytic.Admin.Tests.Components;

public sealed class AdminHomeTests : ComponentTestBase
{
    [Fact]
    public void AdminHome_ForAdmin_LinksToSsoSettings()
    {
        SignInAsAdmin();
        var page = Render<AdminHome>();
        Assert.NotNull(page.Find("a[href='/admin/sso']"));
    }
}
