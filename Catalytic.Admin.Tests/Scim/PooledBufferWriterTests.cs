using System.Buffers;
using System.Text;
using System.Text.Json;
using Catalytic.Admin.Scim;

namespace Catalytic.Admin.Tests.Scim;

public class PooledBufferWriterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(4096)]
    public void Json_written_across_many_growths_is_byte_for_byte_what_ArrayBufferWriter_gets(int initialCapacity)
    {
        // ~200 KB: many doublings, past the large-object threshold, with escaped and multi-byte text.
        void Write(IBufferWriter<byte> output)
        {
            using var json = new Utf8JsonWriter(output);
            json.WriteStartArray();
            for (var i = 0; i < 2_000; i++)
            {
                json.WriteStartObject();
                json.WriteString("userName", $"user{i}");
                json.WriteString("displayName", $"Zoë \"Ng\" <{i}> {new string('x', i % 50)}");
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        var expected = new ArrayBufferWriter<byte>();
        Write(expected);
        using var pooled = new PooledBufferWriter(initialCapacity);
        Write(pooled);

        Assert.Equal(expected.WrittenCount, pooled.WrittenCount);
        Assert.True(expected.WrittenSpan.SequenceEqual(pooled.WrittenMemory.Span));
    }

    [Fact]
    public void Only_what_was_written_is_exposed_even_on_a_reused_pool_array()
    {
        // A rented array may hold an earlier response: none of it may show.
        var earlier = ArrayPool<byte>.Shared.Rent(64);
        earlier.AsSpan().Fill((byte)'S');
        ArrayPool<byte>.Shared.Return(earlier);

        using var pooled = new PooledBufferWriter(64);
        var span = pooled.GetSpan(5);
        Encoding.ASCII.GetBytes("hello", span);
        pooled.Advance(5);

        Assert.Equal("hello", Encoding.ASCII.GetString(pooled.WrittenMemory.Span));
    }

    [Fact]
    public void Advancing_past_the_free_space_or_backwards_is_refused()
    {
        using var pooled = new PooledBufferWriter(16);
        var free = pooled.GetSpan().Length;

        Assert.Throws<InvalidOperationException>(() => pooled.Advance(free + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => pooled.Advance(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => pooled.GetMemory(-1));
        Assert.Equal(0, pooled.WrittenCount);
    }

    [Fact]
    public void After_dispose_nothing_can_be_written_and_a_second_dispose_is_harmless()
    {
        var pooled = new PooledBufferWriter(16);
        pooled.Dispose();
        pooled.Dispose();

        Assert.Throws<ObjectDisposedException>(() => pooled.GetSpan());
        Assert.Throws<ObjectDisposedException>(() => pooled.Advance(0));
        Assert.Equal(0, pooled.WrittenCount);
    }
}
