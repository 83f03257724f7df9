using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Scim;

/// <summary>
/// The SCIM endpoint's two limits, both checked by <see cref="ScimBearerAuthentication"/>:
/// requests per accepted token (a token bucket per token id, so there are never more partitions than live
/// tokens), and refused authentications per source (a one-minute window per address, checked before the token
/// lookup). Sources are attacker-chosen, so at most <see cref="MaxTrackedSources"/> are kept; beyond that, new
/// ones share one window. An IPv6 client counts by its /64, which a single attacker usually holds whole.
/// </summary>
public sealed class ScimThrottle : IDisposable
{
    internal const int MaxTrackedSources = 10_000;
    private static readonly TimeSpan FailedAuthWindow = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly PartitionedRateLimiter<Guid>? perToken;
    private readonly FixedWindowRateLimiterOptions? failedAuth;
    private readonly ConcurrentDictionary<UInt128, FixedWindowRateLimiter> sources = new();
    private readonly FixedWindowRateLimiter? overflow;
    private int tracked;
    private long nextSweep;

    public ScimThrottle(IOptions<AppOptions> options)
    {
        var scim = options.Value.Scim;
        PermitsPerSecond = scim.RateLimit.PermitsPerSecond;
        if (PermitsPerSecond > 0)
        {
            // Whole tokens per period: a second, or longer for a rate below one per second. Not AutoReplenishment:
            // the partitioned limiter refills all buckets from one timer, not one each.
            var perPeriod = PermitsPerSecond >= 1 ? (int)Math.Round(PermitsPerSecond) : 1;
            var bucket = new TokenBucketRateLimiterOptions
            {
                TokensPerPeriod = perPeriod,
                ReplenishmentPeriod = TimeSpan.FromSeconds(perPeriod / PermitsPerSecond),
                TokenLimit = Math.Max(scim.RateLimit.Burst, perPeriod),
                QueueLimit = 0,
                AutoReplenishment = false,
            };

            // Created once: finding a token's bucket allocates nothing per request.
            Func<Guid, RateLimiter> create = _ => new TokenBucketRateLimiter(bucket);
            perToken = PartitionedRateLimiter.Create<Guid, Guid>(tokenId => RateLimitPartition.Get(tokenId, create));
        }

        if (scim.FailedAuthLimit.PerMinute > 0)
        {
            failedAuth = new FixedWindowRateLimiterOptions
            {
                PermitLimit = scim.FailedAuthLimit.PerMinute,
                Window = FailedAuthWindow,
                QueueLimit = 0,
                AutoReplenishment = false,
            };
            overflow = new FixedWindowRateLimiter(failedAuth);
        }
    }

    public double PermitsPerSecond { get; }

    /// <summary>Whether the accepted token may make this request; if not, how long the IdP should wait.</summary>
    public bool TryAcquire(Guid tokenId, out TimeSpan retryAfter)
    {
        retryAfter = default;
        if (perToken is null)
        {
            return true;
        }

        using var lease = perToken.AttemptAcquire(tokenId);
        if (lease.IsAcquired)
        {
            return true;
        }

        retryAfter = RetryAfter(lease, TimeSpan.FromSeconds(1));
        return false;
    }

    /// <summary>Whether this source has used up its refused authentications; checked before any token lookup.</summary>
    public bool IsSourceBlocked(IPAddress? address, out TimeSpan retryAfter)
    {
        retryAfter = default;
        if (failedAuth is null)
        {
            return false;
        }

        var window = sources.TryGetValue(SourceKey(address), out var own) ? own
            : Volatile.Read(ref tracked) >= MaxTrackedSources ? overflow!
            : null;
        if (window is null)
        {
            return false;
        }

        window.TryReplenish();
        // Zero permits: asks whether any are left without taking one.
        using var lease = window.AttemptAcquire(0);
        if (lease.IsAcquired)
        {
            return false;
        }

        retryAfter = RetryAfter(lease, FailedAuthWindow);
        return true;
    }

    /// <summary>Counts a refused authentication against its source.</summary>
    public void Refused(IPAddress? address)
    {
        if (failedAuth is null)
        {
            return;
        }

        var window = WindowFor(SourceKey(address));
        window.TryReplenish();
        using var lease = window.AttemptAcquire(1);
    }

    /// <summary>
    /// How a source is shown and counted: an IPv4 address, or an IPv6 client's /64 network (see the class
    /// summary); <c>unknown</c> without an address.
    /// </summary>
    public static string DescribeSource(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    /// <summary>The source as a number (IPv4 in its IPv6-mapped form, IPv6 cut to /64): a lookup without allocation.</summary>
    internal static UInt128 SourceKey(IPAddress? address)
    {
        if (address is null)
        {
            return UInt128.Zero;
        }

        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[10] = 0xFF;
            bytes[11] = 0xFF;
            address.TryWriteBytes(bytes[12..], out _);
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
            if (!address.IsIPv4MappedToIPv6)
            {
                bytes[8..].Clear();
            }
        }

        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private FixedWindowRateLimiter WindowFor(UInt128 key)
    {
        if (sources.TryGetValue(key, out var window))
        {
            return window;
        }

        if (Volatile.Read(ref tracked) >= MaxTrackedSources && !SweepIdle())
        {
            return overflow!;
        }

        var added = new FixedWindowRateLimiter(failedAuth!);
        if (sources.TryAdd(key, added))
        {
            Interlocked.Increment(ref tracked);
            return added;
        }

        added.Dispose();
        return sources.TryGetValue(key, out window) ? window : overflow!;
    }

    /// <summary>Forgets sources whose window has passed; at most once a second, as it walks every source.</summary>
    private bool SweepIdle()
    {
        var now = Environment.TickCount64;
        var due = Volatile.Read(ref nextSweep);
        if (now < due || Interlocked.CompareExchange(ref nextSweep, now + (long)SweepInterval.TotalMilliseconds, due) != due)
        {
            return false;
        }

        foreach (var (key, window) in sources)
        {
            window.TryReplenish();
            if (window.IdleDuration is not null && sources.TryRemove(key, out var removed))
            {
                Interlocked.Decrement(ref tracked);
                removed.Dispose();
            }
        }

        return Volatile.Read(ref tracked) < MaxTrackedSources;
    }

    private static TimeSpan RetryAfter(RateLimitLease lease, TimeSpan fallback) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : fallback;

    public void Dispose()
    {
        perToken?.Dispose();
        overflow?.Dispose();
        foreach (var window in sources.Values)
        {
            window.Dispose();
        }
    }
}
