using Switch.Iso8583.Vocabulary;

namespace Switch.Iso8583.Tests;

/// <summary>MTI arithmetic: parts, whether an answer is expected, and the answer's MTI whatever the repeat digit.</summary>
public sealed class MtiTests
{
    [Theory]
    [InlineData("0100", "0110")]
    [InlineData("0101", "0110")]
    [InlineData("0200", "0210")]
    [InlineData("0201", "0210")]
    [InlineData("0220", "0230")]
    [InlineData("0221", "0230")]
    [InlineData("0420", "0430")]
    [InlineData("0421", "0430")]
    [InlineData("0400", "0410")]
    [InlineData("0401", "0410")]
    [InlineData("0800", "0810")]
    [InlineData("0801", "0810")]
    [InlineData("0820", "0830")]
    [InlineData("0423", "0432")]
    [InlineData("0425", "0434")]
    [InlineData("0422", "0432")]
    [InlineData("1100", "1110")]
    [InlineData("1200", "1210")]
    [InlineData("1420", "1430")]
    [InlineData("1421", "1430")]
    [InlineData("1804", "1814")]
    [InlineData("1240", "1250")]
    [InlineData("1241", "1250")]
    [InlineData("1644", "1654")]
    [InlineData("2160", "2170")]
    [InlineData("2161", "2170")]
    public void The_answer_is_function_plus_one_with_the_repeat_flag_cleared(string request, string response)
    {
        Assert.True(Mti.ExpectsResponse(request));
        Assert.False(Mti.IsResponse(request));
        Assert.Equal(response, Mti.ResponseOf(request));
        Assert.True(Mti.IsResponse(response));
        Assert.False(Mti.ExpectsResponse(response));
        Span<char> chars = request.ToCharArray();
        Assert.True(Mti.TryWriteResponseOf(chars));
        Assert.Equal(response, new string(chars));
    }

    [Theory]
    [InlineData("0240")]   // a 1987 notification: no acknowledgement
    [InlineData("0241")]
    [InlineData("0260")]
    [InlineData("0210")]   // responses and acknowledgements expect nothing
    [InlineData("0230")]
    [InlineData("0430")]
    [InlineData("0810")]
    [InlineData("1250")]
    [InlineData("2170")]
    [InlineData("0280")]   // reserved functions
    [InlineData("0290")]
    public void Responses_1987_notifications_and_reserved_functions_expect_no_answer(string mti)
    {
        Assert.False(Mti.ExpectsResponse(mti));
        Assert.Null(Mti.ResponseOf(mti));
        Span<char> chars = mti.ToCharArray();
        Assert.False(Mti.TryWriteResponseOf(chars));
        Assert.Equal(mti, new string(chars));
    }

    [Theory]
    [InlineData("0210", true)]
    [InlineData("0230", true)]
    [InlineData("1250", true)]
    [InlineData("2170", true)]
    [InlineData("0200", false)]
    [InlineData("0240", false)]
    [InlineData("0280", false)]
    [InlineData("0290", false)]
    public void Odd_function_digits_are_responses(string mti, bool response) => Assert.Equal(response, Mti.IsResponse(mti));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("020")]
    [InlineData("02000")]
    [InlineData("02A0")]
    [InlineData(" 200")]
    [InlineData("0200\n")]
    [InlineData("\u0660\u0662\u0660\u0660")] // Arabic-Indic digits are not MTI digits
    [InlineData("-200")]
    public void Malformed_mtis_expect_nothing_and_have_no_parts(string? mti)
    {
        Assert.False(Mti.IsWellFormed(mti));
        Assert.False(Mti.ExpectsResponse(mti));
        Assert.False(Mti.IsResponse(mti));
        Assert.False(Mti.IsRepeat(mti));
        Assert.Null(Mti.ResponseOf(mti));
        Assert.Throws<ArgumentException>(() => Mti.Class(mti));
        Assert.Throws<ArgumentException>(() => Mti.Function(mti));
        Assert.Throws<ArgumentException>(() => Mti.Origin(mti));
        Assert.Throws<ArgumentException>(() => Mti.Version(mti));
        Span<char> chars = (mti ?? "").ToCharArray();
        Assert.False(Mti.TryWriteResponseOf(chars));
    }

    [Fact]
    public void The_parts_of_an_mti_are_its_digits()
    {
        Assert.Equal(0, Mti.Version("0421"));
        Assert.Equal(MtiClass.Reversal, Mti.Class("0421"));
        Assert.Equal(MtiFunction.Advice, Mti.Function("0421"));
        Assert.Equal(MtiOrigin.AcquirerRepeat, Mti.Origin("0421"));
        Assert.Equal(1, Mti.Version("1804"));
        Assert.Equal(MtiClass.NetworkManagement, Mti.Class("1804"));
        Assert.Equal(MtiFunction.Request, Mti.Function("1804"));
        Assert.Equal(MtiOrigin.Other, Mti.Origin("1804"));
        Assert.Equal(MtiFunction.NotificationAcknowledgement, Mti.Function("1250"));
        Assert.Equal(MtiOrigin.IssuerRepeat, Mti.Origin("0213"));
    }

    [Theory]
    [InlineData("0201", true)]
    [InlineData("0213", true)]
    [InlineData("0425", true)]
    [InlineData("0200", false)]
    [InlineData("0212", false)]
    [InlineData("0424", false)]
    [InlineData("0207", false)] // origin digits above 5 are reserved, not repeats
    public void Odd_origins_up_to_5_are_repeats(string mti, bool repeat) => Assert.Equal(repeat, Mti.IsRepeat(mti));
}
