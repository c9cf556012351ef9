namespace Switch.Cli.Tests;

/// <summary><c>core.acquirers</c> (docs/core.md, "Acquirer peers"): each bad row is one error line naming its key.</summary>
public sealed class AcquirerConfigTests
{
    [Theory]
    [InlineData("listener", "nosuch", "core.acquirers[0].listener: \"nosuch\" is not a network listener (terminals, acquirers)")]
    [InlineData("listener", "", "core.acquirers[0].listener: is empty")]
    [InlineData("institutionId", "998877", "core.acquirers[0].institutionId: is the switch's own institution id")]
    [InlineData("institutionId", "44a566", "core.acquirers[0].institutionId: is \"44a566\"; expected 1 to 11 digits")]
    [InlineData("zpkRef", "", "core.acquirers[0].zpkRef: is empty")]
    [InlineData("zakRef", "", "core.acquirers[0].zakRef: is empty")]
    [InlineData("colour", "red", "core.acquirers[0].colour: is not a known key")]
    public void A_bad_acquirer_row_is_one_line_naming_its_key(string key, string value, string expected)
    {
        var r = CliRunner.Run(["run", "--check"], new Dictionary<string, string> { [$"SWITCH__core__acquirers__0__{key}"] = value });
        Assert.Contains(expected, CliRunner.AssertOneLineError(r), StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_configuration_names_the_demo_acquirer_on_its_listener()
    {
        var r = CliRunner.Run(["run", "--check"], new Dictionary<string, string> { ["SWITCH__core__acquirers__0__zakRef"] = "demo-tak" });
        CliRunner.AssertSuccess(r);
    }
}
