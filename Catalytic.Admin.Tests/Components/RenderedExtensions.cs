using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace Catalytic.Admin.Tests.Components;

/// <summary>Small conveniences for pages that load asynchronously and refresh live.</summary>
public static class RenderedExtensions
{
    /// <summary>Long enough for a slow shared machine; a passing check returns at once.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static void Eventually<T>(this IRenderedComponent<T> rendered, Action assertion) where T : IComponent =>
        rendered.WaitForAssertion(assertion, Patience);

    /// <summary>The render count once the component has stopped rendering (no render for 300 ms).</summary>
    public static async Task<int> SettledRenderCountAsync<T>(this IRenderedComponent<T> rendered) where T : IComponent
    {
        var last = rendered.RenderCount;
        while (true)
        {
            await Task.Delay(300);
            if (rendered.RenderCount == last)
            {
                return last;
            }

            last = rendered.RenderCount;
        }
    }

    public static IElement ByTestId<T>(this IRenderedComponent<T> rendered, string testId) where T : IComponent =>
        rendered.Find($"[data-testid='{testId}']");

    public static IReadOnlyList<IElement> AllByTestId<T>(this IRenderedComponent<T> rendered, string testId) where T : IComponent =>
        rendered.FindAll($"[data-testid='{testId}']");

    public static bool Has<T>(this IRenderedComponent<T> rendered, string testId) where T : IComponent =>
        rendered.FindAll($"[data-testid='{testId}']").Count > 0;

    public static IElement Button<T>(this IRenderedComponent<T> rendered, string text) where T : IComponent =>
        rendered.FindAll("button").FirstOrDefault(b => b.TextContent.Trim() == text)
        ?? throw new InvalidOperationException($"No button '{text}' in:\n{rendered.Markup}");

    /// <summary>Types into an immediate MudTextField found by its data-testid (MudBlazor puts it on the input).</summary>
    public static void Type<T>(this IRenderedComponent<T> rendered, string testId, string text) where T : IComponent =>
        rendered.Find($"input[data-testid='{testId}']").Input(text);

    /// <summary>Fills a MudTextField that takes its value when the input changes (leaves the field).</summary>
    public static void Fill<T>(this IRenderedComponent<T> rendered, string testId, string text) where T : IComponent =>
        rendered.Find($"input[data-testid='{testId}']").Change(text);
}
