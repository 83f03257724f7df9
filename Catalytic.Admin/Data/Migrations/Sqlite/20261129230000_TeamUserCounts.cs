using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Catalytic.Admin.Data.Migrations.Sqlite
{
    /// <summary>
    /// Each team's user count and a counter of inserts and deletes, kept by triggers in the same transaction as
    /// the change. A SCIM listing reads its <c>totalResults</c> here instead of counting the team's rows (O(n) in
    /// SQLite), and the counter tells the listing's page cursors when positions may have shifted
    /// (see <see cref="SqliteHotPathReads"/>). Not in the EF model: nothing but these triggers writes it.
    /// </summary>
    [DbContext(typeof(SqliteAdminDbContext))]
    [Migration("20261129230000_TeamUserCounts")]
    public partial class TeamUserCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE "TeamUserCounts" (
                    "TeamId" TEXT NOT NULL CONSTRAINT "PK_TeamUserCounts" PRIMARY KEY
                        CONSTRAINT "FK_TeamUserCounts_Teams_TeamId" REFERENCES "Teams" ("Id") ON DELETE CASCADE,
                    "Users" INTEGER NOT NULL,
                    "Changes" INTEGER NOT NULL
                );
                """);
            migrationBuilder.Sql("""
                INSERT INTO "TeamUserCounts" ("TeamId", "Users", "Changes")
                SELECT "TeamId", COUNT(*), 0 FROM "Users" GROUP BY "TeamId";
                """);
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
            // The listing's order (CreatedAt, Id) never changes after a create; should it ever, cursors must go.
            migrationBuilder.Sql("""
                CREATE TRIGGER "TR_Users_Count_Move" AFTER UPDATE OF "TeamId", "CreatedAt", "Id" ON "Users"
                BEGIN
                    UPDATE "TeamUserCounts" SET "Users" = "Users" - 1, "Changes" = "Changes" + 1 WHERE "TeamId" = OLD."TeamId";
                    INSERT INTO "TeamUserCounts" ("TeamId", "Users", "Changes") VALUES (NEW."TeamId", 1, 1)
                    ON CONFLICT ("TeamId") DO UPDATE SET "Users" = "Users" + 1, "Changes" = "Changes" + 1;
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP TRIGGER "TR_Users_Count_Move";""");
            migrationBuilder.Sql("""DROP TRIGGER "TR_Users_Count_Delete";""");
            migrationBuilder.Sql("""DROP TRIGGER "TR_Users_Count_Insert";""");
            migrationBuilder.Sql("""DROP TABLE "TeamUserCounts";""");
        }
    }
}
