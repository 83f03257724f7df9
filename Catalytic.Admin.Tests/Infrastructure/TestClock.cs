namespace Catalytic.Admin.Tests.Infrastructure;

/// <summary>A clock the test moves by hand (grace periods, expiry, retention).</summary>
public sealed class TestClock : TimeProvider
{
    private DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
