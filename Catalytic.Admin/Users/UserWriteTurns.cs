namespace Catalytic.Admin.Users;

/// <summary>
/// Writes to one user take turns within this process: a read-modify-write (PATCH, PUT) or a delete of a user
/// waits for the one before it instead of racing it to a version conflict. Without it 16 concurrent PATCHes of a
/// user ran out of retries and some were answered 412 although the IdP sent no If-Match (RFC 7644 allows 412 only
/// for a precondition the client sent), and a DELETE that met a PATCH was answered 404 while the user survived.
/// Striped: a fixed set of semaphores chosen by the user id, so memory is bounded whatever the number of users;
/// two users that share a stripe merely queue behind each other. Another instance (PostgreSQL) can still change the
/// same user; the directory's version check and re-read cover that.
/// </summary>
public sealed class UserWriteTurns
{
    private const int Stripes = 1024;
    private readonly SemaphoreSlim[] stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];

    public async ValueTask<Turn> EnterAsync(Guid userId, CancellationToken ct)
    {
        var stripe = stripes[(uint)userId.GetHashCode() % Stripes];
        await stripe.WaitAsync(ct);
        return new Turn(stripe);
    }

    public readonly struct Turn(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}
