using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Catalytic.Admin.Tests.Infrastructure;

/// <summary>Keeps every log line the app writes (any level), so tests can prove secrets never reach the logs.</summary>
public sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => lines;

    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class SinkLogger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
