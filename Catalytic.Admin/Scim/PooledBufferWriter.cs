using System.Buffers;

namespace Catalytic.Admin.Scim;

/// <summary>
/// A growing byte buffer on arrays rented from the shared pool, for a response built whole before it is sent (so
/// it carries a Content-Length). <see cref="ArrayBufferWriter{T}"/> allocates and zeroes a new array at every
/// doubling: a page of 100 users (~70 KB) went 2 → 128 KB, the last array on the large-object heap, for every page.
/// Only the written part is ever exposed, so what a rented array held before never leaves the process.
/// </summary>
internal sealed class PooledBufferWriter(int initialCapacity) : IBufferWriter<byte>, IDisposable
{
    private byte[] buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    private int written;
    private bool disposed;

    public int WrittenCount => written;

    public ReadOnlyMemory<byte> WrittenMemory => buffer.AsMemory(0, written);

    public void Advance(int count)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > buffer.Length - written)
        {
            throw new InvalidOperationException($"Cannot advance {count} bytes: only {buffer.Length - written} are free.");
        }

        written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint); // first: it may replace the array
        return buffer.AsMemory(written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return buffer.AsSpan(written);
    }

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
            written = 0;
        }
    }

    /// <summary>Makes room for at least <paramref name="sizeHint"/> bytes (one if 0) after what was written.</summary>
    private void Reserve(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var needed = written + Math.Max(sizeHint, 1);
        if (needed > buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, buffer.Length * 2));
            buffer.AsSpan(0, written).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = bigger;
        }
    }
}
