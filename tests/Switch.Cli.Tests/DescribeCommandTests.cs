namespace Switch.Cli.Tests;

/// <summary><c>switch iso8583 describe</c>: the spec as a table.</summary>
public sealed class DescribeCommandTests
{
    [Fact]
    public void Built_in_spec_is_listed_field_by_field()
    {
        string table = CliRunner.AssertSuccess(CliRunner.Run("iso8583", "describe", "--spec", "iso8583-1987-binary"));
        string[] lines = table.Split('\n');
        Assert.Contains("iso8583-1987-binary", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("MTI ", StringComparison.Ordinal) && l.Contains("bcd", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("2 ", StringComparison.Ordinal) && l.Contains("PAN", StringComparison.Ordinal) && l.Contains("LL BCD", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("128 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Packager_with_sub_fields_lists_them_with_dotted_numbers()
    {
        string table = CliRunner.AssertSuccess(CliRunner.Run("iso8583", "describe", "--spec", TestFiles.Packager("nested.xml")));
        Assert.Contains("header", table, StringComparison.Ordinal);
        Assert.Contains("127.4.1", table, StringComparison.Ordinal);
        Assert.Contains("62.2", table, StringComparison.Ordinal);
        Assert.Contains("48.3", table, StringComparison.Ordinal);
    }
}
