using System.Reflection;
using Switch.Iso8583.Vocabulary;

namespace Switch.Iso8583.Tests;

/// <summary>The one DE 39 table: every named code has a meaning, only 00 approves.</summary>
public sealed class ResponseCodeTests
{
    private static IEnumerable<(string Name, string Code)> Named() =>
        typeof(ResponseCode).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (f.Name, (string)f.GetRawConstantValue()!));

    [Fact]
    public void Every_named_code_is_two_digits_in_the_table_with_its_own_meaning()
    {
        var named = Named().ToList();
        Assert.NotEmpty(named);
        foreach (var (name, code) in named)
        {
            Assert.True(code.Length == 2 && code.All(char.IsAsciiDigit), $"{name} = '{code}'");
            Assert.True(ResponseCode.IsKnown(code), name);
            Assert.DoesNotContain("unknown", ResponseCode.Describe(code), StringComparison.Ordinal);
        }
        Assert.Equal(named.Select(n => n.Code).Order(), ResponseCode.All.Order());
        Assert.Equal(named.Count, named.Select(n => ResponseCode.Describe(n.Code)).Distinct().Count());
        Assert.Equal(named.Count, named.Select(n => n.Code).Distinct().Count());
    }

    [Theory]
    [InlineData("00", "approved")]
    [InlineData("05", "do not honour")]
    [InlineData("12", "invalid transaction")]
    [InlineData("13", "invalid amount")]
    [InlineData("14", "invalid card number")]
    [InlineData("25", "original transaction not found")]
    [InlineData("30", "format error")]
    [InlineData("51", "insufficient funds")]
    [InlineData("54", "expired card")]
    [InlineData("55", "incorrect PIN")]
    [InlineData("68", "response received too late")]
    [InlineData("91", "issuer or switch inoperative")]
    [InlineData("94", "duplicate transmission")]
    [InlineData("96", "system malfunction")]
    public void Codes_mean_what_iso_8583_says(string code, string meaning) => Assert.Equal(meaning, ResponseCode.Describe(code));

    [Theory]
    [InlineData("99")]
    [InlineData("0")]
    [InlineData("000")]
    [InlineData("A0")]
    [InlineData("")]
    public void Codes_outside_the_table_are_described_as_unknown(string code)
    {
        Assert.False(ResponseCode.IsKnown(code));
        Assert.Equal($"unknown response code '{code}'", ResponseCode.Describe(code));
    }

    [Fact]
    public void A_missing_code_is_described_as_missing()
    {
        Assert.False(ResponseCode.IsKnown(null));
        Assert.Equal("no response code", ResponseCode.Describe(null));
        Assert.False(ResponseCode.IsApproval(null));
    }

    [Fact]
    public void Only_00_is_an_approval()
    {
        Assert.True(ResponseCode.IsApproval(ResponseCode.Approved));
        foreach (string code in ResponseCode.All.Where(c => c != "00")) Assert.False(ResponseCode.IsApproval(code), code);
        Assert.False(ResponseCode.IsApproval("08"));
        Assert.False(ResponseCode.IsApproval("10"));
    }

    [Fact]
    public void The_names_other_areas_answer_with_are_the_iso_codes()
    {
        Assert.Equal("30", ResponseCode.FormatError);
        Assert.Equal("96", ResponseCode.SystemMalfunction);
        Assert.Equal("91", ResponseCode.IssuerOrSwitchInoperative);
        Assert.Equal("94", ResponseCode.DuplicateTransmission);
        Assert.Equal("63", ResponseCode.SecurityViolation);
        Assert.Equal("55", ResponseCode.IncorrectPin);
    }
}
