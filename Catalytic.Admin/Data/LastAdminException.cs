using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Data;

/// <summary>
/// A user write was undone because it would have left its team without an active admin. Thrown from inside the
/// write's transaction (<see cref="GroupCommit"/>), so two admins removed at the same moment cannot both pass a
/// check made before either write. The user directory turns it into its "last admin" error.
/// </summary>
public sealed class LastAdminException(Guid teamId)
    : DbUpdateException($"The write would leave team {teamId} without an active admin; it was undone.")
{
    public Guid TeamId { get; } = teamId;
}
