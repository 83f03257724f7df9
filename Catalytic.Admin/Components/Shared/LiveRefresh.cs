namespace Catalytic.Admin.Components.Shared;

/// <summary>
/// Turns a stream of change notifications into at most one refresh per <c>delay</c>. The first change of a
/// burst schedules a refresh; changes until it runs ride along, and changes during it schedule the next one.
/// Unlike a debounce that waits for quiet, a page still refreshes while an IdP provisions without pause.
/// </summary>
public sealed class LiveRefresh : IDisposable
{
    private readonly Func<Task> refresh;
    private readonly TimeSpan delay;
    private readonly Timer timer;
    private int scheduled;
    private volatile bool disposed;

    public LiveRefresh(TimeSpan delay, Func<Task> refresh)
    {
        this.delay = delay;
        this.refresh = refresh;
        timer = new Timer(_ => _ = RunAsync(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public void Trigger()
    {
        if (!disposed && Interlocked.Exchange(ref scheduled, 1) == 0)
        {
            try
            {
                timer.Change(delay, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed between the check and the call: the page is gone.
            }
        }
    }

    public void Dispose()
    {
        disposed = true;
        timer.Dispose();
    }

    private async Task RunAsync()
    {
        Interlocked.Exchange(ref scheduled, 0);
        if (disposed)
        {
            return;
        }

        try
        {
            await refresh();
        }
        catch (Exception)
        {
            // Runs on a timer thread, where an exception would end the process. The callback reports its own
            // errors to its component (DispatchExceptionAsync); anything left here is a page that went away.
        }
    }
}
