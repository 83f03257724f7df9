using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Catalytic.Admin.Data.Migrations.Sqlite
{
    /// <summary>
    /// The SCIM listing's counts leave out local (break-glass) accounts, which an IdP never sees (rows with a
    /// PasswordHash): the triggers of <see cref="TeamUserCounts"/> count only rows without one, and a row that gains
    /// or loses its password hash leaves or joins the count, moving the change counter so page cursors go.
    /// Every user update writes the PasswordHash column, so the update trigger fires only when what it counts changed.
    /// </summary>
    [DbContext(typeof(SqliteAdminDbContext))]
    [Migration("20261203100000_ScimCountsExcludeLocalAccounts")]
    public partial class ScimCountsExcludeLocalAccounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            DropTriggers(migrationBuilder);
            migrationBuilder.Sql("""
                CREATE TRIGGER "TR_Users_Count_Insert" AFTER INSERT ON "Users"
                WHEN NEW."PasswordHash" IS NULL
                BEGIN
                    INSERT INTO "TeamUserCounts" ("TeamId", "Users", "Changes") VALUES (NEW."TeamId", 1, 1)
                    ON CONFLICT ("TeamId") DO UPDATE SET "Users" = "Users" + 1, "Changes" = "Changes" + 1;
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "TR_Users_Count_Delete" AFTER DELETE ON "Users"
                WHEN OLD."PasswordHash" IS NULL
                BEGIN
                    UPDATE "TeamUserCounts" SET "Users" = "Users" - 1, "Changes" = "Changes" + 1 WHERE "TeamId" = OLD."TeamId";
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "TR_Users_Count_Move" AFTER UPDATE OF "TeamId", "CreatedAt", "Id", "PasswordHash" ON "Users"
                WHEN OLD."TeamId" IS NOT NEW."TeamId" OR OLD."CreatedAt" IS NOT NEW."CreatedAt" OR OLD."Id" IS NOT NEW."Id"
                    OR (OLD."PasswordHash" IS NULL) <> (NEW."PasswordHash" IS NULL)
                BEGIN
                    UPDATE "TeamUserCounts" SET "Users" = "Users" - 1, "Changes" = "Changes" + 1
                    WHERE "TeamId" = OLD."TeamId" AND OLD."PasswordHash" IS NULL;
                    INSERT INTO "TeamUserCounts" ("TeamId", "Users", "Changes") SELECT NEW."TeamId", 1, 1 WHERE NEW."PasswordHash" IS NULL
                    ON CONFLICT ("TeamId") DO UPDATE SET "Users" = "Users" + 1, "Changes" = "Changes" + 1;
                END;
                """);
            Recount(migrationBuilder, """ AND "PasswordHash" IS NULL""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            DropTriggers(migrationBuilder);
            migrationBuilder.Sql("""
                CREATE TRIGGER "TR_Users_Count_Insert" AFTER INSERT ON "Users"
                BEGIN
                    INSERT INTO "TeamUserCounts" ("TeamId", "Users", "Changes") VALUES (NEW."TeamId", 1, 1)
                    ON CONFLICT ("TeamId") DO UPDATE SET "Users" = "Users" + 1, "Changes" = "Changes" + 1;
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "TR_Users_Count_Delete" AFTER DELETE ON "Users"
                BEGIN
                    UPDATE "TeamUserCounts" SET "Users" = "Users" - 1, "Changes" = "Changes" + 1 WHERE "TeamId" = OLD."TeamId";
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "TR_Users_Count_Move" AFTER UPDATE OF "TeamId", "CreatedAt", "Id" ON "Users"
                BEGIN
                    UPDATE "TeamUserCounts" SET "Users" = "Users" - 1, "Changes" = "Changes" + 1 WHERE "TeamId" = OLD."TeamId";
                    INSERT INTO "TeamUserCounts" ("TeamId", "Users", "Changes") VALUES (NEW."TeamId", 1, 1)
                    ON CONFLICT ("TeamId") DO UPDATE SET "Users" = "Users" + 1, "Changes" = "Changes" + 1;
                END;
                """);
            Recount(migrationBuilder, "");
        }

        private static void DropTriggers(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP TRIGGER "TR_Users_Count_Move";""");
            migrationBuilder.Sql("""DROP TRIGGER "TR_Users_Count_Delete";""");
            migrationBuilder.Sql("""DROP TRIGGER "TR_Users_Count_Insert";""");
        }

        // What is counted changed, so every position may have: the change counter moves as well.
        private static void Recount(MigrationBuilder migrationBuilder, string counted) =>
            migrationBuilder.Sql($"""
                UPDATE "TeamUserCounts" SET
                    "Users" = (SELECT COUNT(*) FROM "Users" u WHERE u."TeamId" = "TeamUserCounts"."TeamId"{counted}),
                    "Changes" = "Changes" + 1;
                """);
    }
}
