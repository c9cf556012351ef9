using System.Text.Json;

namespace Switch.Routing.Tests;

/// <summary><c>switch routes</c> with ISO 20022 keys (--bic, --member-id) through the real executable and real Postgres.</summary>
public sealed class AgentRoutesCliTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("routing-agent-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config()
    {
        string path = Path.Combine(_dir, $"switch-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $$"""
            { "network": { "connectors": [ { "name": "issuer-a" } ] },
              "iso20022": { "endpoints": [ { "name": "peer-20022", "transport": "http", "url": "http://127.0.0.1:9/iso20022" } ] },
              "postgres": { "connectionString": {{JsonSerializer.Serialize(db.ConnectionString)}} } }
            """);
        return path;
    }

    private static JsonElement Json(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Bic_and_member_id_routes_are_added_listed_tested_and_removed()
    {
        string config = Config();
        var added = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "add", "--name", "deut", "--bic", "DEUTDEFF", "--destination", "peer-20022",
            "--operator", "alice", "--config", config)));
        Assert.Equal("DEUTDEFF", added.GetProperty("after").GetProperty("bic").GetString());
        Assert.Equal(JsonValueKind.Null, added.GetProperty("after").GetProperty("bin").ValueKind);
        var branch = CliRunner.Run("routes", "add", "--name", "deut-500", "--bic", "DEUTDEFF500", "--destination", "issuer-a", "--config", config);
        Assert.True(branch.ExitCode == 0, branch.ToString());
        Assert.Equal("warning: overlaps route deut (BIC DEUTDEFF): branch DEUTDEFF500 now goes to issuer-a instead of peer-20022 (the 11-character BIC wins)", branch.Stderr.Trim());
        CliRunner.AssertSuccess(CliRunner.Run("routes", "add", "--name", "aba", "--member-id", "091000019", "--destination", "issuer-a", "--currency", "840", "--config", config));

        string text = CliRunner.AssertSuccess(CliRunner.Run("routes", "test", "--bic", "DEUTDEFF500", "--config", config));
        Assert.Contains("route:      deut-500 (BIC DEUTDEFF500, priority 100)", text, StringComparison.Ordinal);
        Assert.Contains("destination: issuer-a", text, StringComparison.Ordinal);
        Assert.Matches(@"- deut\s+BIC DEUTDEFF\s+priority 100\s+peer-20022\s+less specific key \(BIC DEUTDEFF\) than the matched route deut-500", text);

        var json = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "test", "--member-id", "091000019", "--currency", "978", "--json", "--config", config)));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("route").ValueKind);
        Assert.Equal("currency 840 required, request is 978", json.GetProperty("candidates")[0].GetProperty("reason").GetString());

        var list = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "list", "--json", "--config", config)));
        Assert.Equal("091000019", list.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "aba").GetProperty("member_id").GetString());
        Assert.Contains("bic:DEUTDEFF", CliRunner.AssertSuccess(CliRunner.Run("routes", "list", "--config", config)), StringComparison.Ordinal);

        var updated = Json(CliRunner.AssertSuccess(CliRunner.Run("routes", "update", "--name", "deut", "--bic", "DEUTDEFFXXX", "--config", config)));
        Assert.Equal("DEUTDEFFXXX", updated.GetProperty("after").GetProperty("bic").GetString());
        CliRunner.AssertSuccess(CliRunner.Run("routes", "remove", "--name", "deut", "--config", config));
    }

    [Theory]
    [InlineData("add --name k --destination issuer-a", "error: routes add: give one route key: --bin, --bic or --member-id")]
    [InlineData("add --name k --bin 411111 --bic DEUTDEFF --destination issuer-a", "error: routes add: give one route key: --bin, --bic or --member-id")]
    [InlineData("add --name k --bic DEUTDEFF --mti-class 01 --destination issuer-a", "error: --mti-class: applies to BIN routes only")]
    [InlineData("add --name k --bic deutdeff --destination issuer-a", "error: --bic: character 1 of 'deutdeff' is not an upper-case letter (institution and country are letters)")]
    [InlineData("test 4111112233445566 --bic DEUTDEFF", "error: routes test: give a PAN or --bic/--member-id, not both")]
    public void Bad_agent_input_is_one_error_line(string args, string error)
    {
        string[] argv = ["routes", .. args.Split(' '), "--config", Config()];
        var r = CliRunner.Run(argv);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(error, r.Stderr.Trim());
        Assert.DoesNotContain("4111112233445566", r.Stdout + r.Stderr, StringComparison.Ordinal);
    }
}
