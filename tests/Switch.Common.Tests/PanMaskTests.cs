using Switch.Common.Masking;

namespace Switch.Common.Tests;

/// <summary>PanMask: first 6 and last 4 digits stay, nothing more is revealed for short numbers.</summary>
public sealed class PanMaskTests
{
    [Theory]
    [InlineData("4761739001010119", "476173******0119")]
    [InlineData("4761739001010", "476173***1010")]
    [InlineData("4761739001010119123", "476173*********9123")]
    public void A_pan_of_13_digits_or_more_keeps_the_first_6_and_last_4(string pan, string masked)
    {
        Assert.Equal(masked, PanMask.Mask(pan));
    }

    [Theory]
    [InlineData("476173900101", "********0101")]
    [InlineData("12345", "*2345")]
    public void A_shorter_number_keeps_only_the_last_4(string pan, string masked)
    {
        Assert.Equal(masked, PanMask.Mask(pan));
    }

    [Theory]
    [InlineData("1234", "****")]
    [InlineData("1", "*")]
    [InlineData("", "")]
    public void Four_digits_or_fewer_are_all_masked(string pan, string masked)
    {
        Assert.Equal(masked, PanMask.Mask(pan));
    }

    [Fact]
    public void Null_masks_to_empty()
    {
        Assert.Equal("", PanMask.Mask((string?)null));
    }

    [Fact]
    public void The_masked_form_never_holds_the_middle_digits()
    {
        var random = new Random(8583);
        for (int i = 0; i < 1000; i++)
        {
            int length = random.Next(13, 20);
            string pan = string.Concat(Enumerable.Range(0, length).Select(_ => (char)('0' + random.Next(10))));
            string masked = PanMask.Mask(pan);
            Assert.Equal(length, masked.Length);
            Assert.Equal(pan[..6], masked[..6]);
            Assert.Equal(pan[^4..], masked[^4..]);
            Assert.All(masked[6..^4], c => Assert.Equal('*', c));
        }
    }
}
