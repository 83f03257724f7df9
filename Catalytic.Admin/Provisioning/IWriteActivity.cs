using Catalytic.Admin.Users;

namespace Catalytic.Admin.Provisioning;

/// <summary>
/// The activity entry of a SCIM write, handed to the user directory with the write so that it is committed in the
/// same transaction as the user row: a write the IdP was told succeeded is never missing from the log after a
/// crash, and a write that is rolled back leaves no "success" entry.
/// </summary>
public interface IWriteActivity
{
    /// <summary>The entry for writing <paramref name="user"/>, as it is about to be saved; asked again on each attempt.</summary>
    ProvisioningEvent EntryFor(User user);

    /// <summary>The entry last asked for was committed with its write.</summary>
    void Saved();
}
