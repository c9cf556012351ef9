namespace Switch.Security.Tests;

/// <summary>Every shared public vector through the real <c>switch crypto</c> executable.</summary>
public sealed class CliVectorTests
{
    public static TheoryData<string> Ids => VectorFile.Ids();

    [Theory]
    [MemberData(nameof(Ids))]
    public void Switch_crypto_prints_the_expected_JSON_for_the_vector(string id)
    {
        CryptoVector v = VectorFile.Get(id);
        var result = CliRunner.Run(CliRunner.Arguments(v.Op, v.In));
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal("", result.Stderr);
        Assert.Equal(v.Out, result.Json());
        Assert.Single(result.Stdout.TrimEnd().Split('\n'));
    }
}
