namespace Switch.Cli.Tests;

/// <summary><c>--help</c> works on every verb.</summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData("iso8583")]
    [InlineData("iso8583", "decode")]
    [InlineData("iso8583", "encode")]
    [InlineData("iso8583", "describe")]
    [InlineData("tlv")]
    [InlineData("tlv", "decode")]
    public void Help_exits_zero_and_shows_usage(params string[] verb)
    {
        var r = CliRunner.Run([.. verb, "--help"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Usage", r.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(verb[^1], r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_help_lists_the_verb_groups()
    {
        var r = CliRunner.Run("--help");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("iso8583", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("tlv", r.Stdout, StringComparison.Ordinal);
    }
}
