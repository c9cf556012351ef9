namespace Switch.Cli.Tests;

/// <summary>`switch db seed` refuses bad input with exit 1 and one `error:` line, before touching any file or database.</summary>
public sealed class DbSeedCommandTests
{
    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1000001")]
    [InlineData("1e3")]
    [InlineData("")]
    public void A_bad_card_count_is_one_error_line(string count)
    {
        string line = CliRunner.AssertOneLineError(CliRunner.Run("db", "seed", "demo", "--cards", count, "--config", "/nonexistent/switch.json"));
        Assert.Contains("--cards", line, StringComparison.Ordinal);
        Assert.Contains("0 to 1000000", line, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_data_set_is_one_error_line()
    {
        string line = CliRunner.AssertOneLineError(CliRunner.Run("db", "seed", "production"));
        Assert.Contains("unknown data set 'production'", line, StringComparison.Ordinal);
    }

    [Fact]
    public void No_data_set_is_one_error_line()
    {
        string line = CliRunner.AssertOneLineError(CliRunner.Run("db", "seed"));
        Assert.Contains("demo", line, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_option_is_one_error_line() =>
        CliRunner.AssertOneLineError(CliRunner.Run("db", "seed", "demo", "--wipe"));

    [Fact]
    public void A_missing_configuration_file_is_one_error_line()
    {
        string line = CliRunner.AssertOneLineError(CliRunner.Run("db", "seed", "demo", "--config", "/nonexistent/switch.json"));
        Assert.Contains("/nonexistent/switch.json", line, StringComparison.Ordinal);
    }
}
