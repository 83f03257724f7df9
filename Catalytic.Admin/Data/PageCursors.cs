namespace Catalytic.Admin.Data;

/// <summary>
/// Where earlier pages of a team's listing ended, so the next page can start from a key instead of skipping
/// every row before it (SQLite's OFFSET walks them all: a page at depth 100,000 cost ~15 ms more than the first).
/// An IdP's import asks for page after page; each page served leaves a cursor at its end. A cursor says "the row
/// at this position is the first after this (CreatedAt, Id) key" and holds only while no user was created or
/// deleted in the team, so every cursor is tied to the team's change counter and all go when it moves.
/// </summary>
internal sealed class PageCursors
{
    // A team with 200,000 users read by pages of 100 fits; past that the shallower half goes (imports read forward).
    private const int MaxCursorsPerTeam = 2048;
    private const int MaxTeams = 256;

    private readonly Dictionary<Guid, TeamCursors> teams = [];
    private readonly Lock gate = new();

    /// <summary>The raw stored key values of the last row before a position.</summary>
    public readonly record struct Cursor(int Position, object CreatedAt, object Id);

    /// <summary>The cursor nearest before or at <paramref name="position"/> for this state of the team; null to start from the top.</summary>
    public Cursor? Nearest(Guid teamId, long changes, int position)
    {
        lock (gate)
        {
            if (!teams.TryGetValue(teamId, out var team) || team.Changes != changes)
            {
                return null;
            }

            var positions = team.Keys.Keys;
            int low = 0, high = positions.Count - 1, found = -1;
            while (low <= high)
            {
                var middle = (low + high) / 2;
                if (positions[middle] <= position)
                {
                    found = middle;
                    low = middle + 1;
                }
                else
                {
                    high = middle - 1;
                }
            }

            if (found < 0)
            {
                return null;
            }

            var key = team.Keys.Values[found];
            return new Cursor(positions[found], key.CreatedAt, key.Id);
        }
    }

    /// <summary>Remembers that the row at <paramref name="cursor"/>'s position comes right after its key.</summary>
    public void Remember(Guid teamId, long changes, Cursor cursor)
    {
        lock (gate)
        {
            if (!teams.TryGetValue(teamId, out var team) || team.Changes < changes)
            {
                if (team is null && teams.Count >= MaxTeams)
                {
                    teams.Clear();
                }

                team = new TeamCursors(changes);
                teams[teamId] = team;
            }
            else if (team.Changes > changes)
            {
                return; // read before a change another request has already seen
            }

            if (team.Keys.Count >= MaxCursorsPerTeam)
            {
                team.DropShallowerHalf();
            }

            team.Keys[cursor.Position] = (cursor.CreatedAt, cursor.Id);
        }
    }

    private sealed class TeamCursors(long changes)
    {
        public long Changes { get; } = changes;

        public SortedList<int, (object CreatedAt, object Id)> Keys { get; private set; } = [];

        public void DropShallowerHalf()
        {
            var kept = new SortedList<int, (object CreatedAt, object Id)>(MaxCursorsPerTeam);
            for (var i = Keys.Count / 2; i < Keys.Count; i++)
            {
                kept.Add(Keys.Keys[i], Keys.Values[i]);
            }

            Keys = kept;
        }
    }
}
