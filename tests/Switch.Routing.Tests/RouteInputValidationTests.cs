using Switch.Iso8583.Vocabulary;
using static Switch.Routing.Tests.TestRoutes;

namespace Switch.Routing.Tests;

/// <summary>Every operator input is checked, and refused with one sentence naming the option.</summary>
public sealed class RouteInputValidationTests
{
    [Theory]
    [InlineData("41111", "--bin: has 5 digits; expected 6 to 11")]
    [InlineData("411111223344", "--bin: has 12 digits; expected 6 to 11")]
    [InlineData("4111a1", "--bin: character 5 is not a digit; expected 6 to 11 digits")]
    [InlineData("", "--bin: is empty; expected 6 to 11 digits")]
    [InlineData("４１１１１１", "--bin: character 1 is not a digit; expected 6 to 11 digits")]
    public void A_bin_prefix_is_6_to_11_ascii_digits(string bin, string message) =>
        Assert.Equal(message, Refused(() => R("n", bin)));

    [Theory]
    [InlineData("", "--name: is empty; expected a name of letters, digits, '.', '-' or '_'")]
    [InlineData("-visa", "--name: '-visa' must start with a letter or digit")]
    [InlineData("visa classic", "--name: character 5 of 'visa classic' is not a letter, digit, '.', '-' or '_'")]
    [InlineData("visa\nx", "--name: character 5 of 'visa?x' is not a letter, digit, '.', '-' or '_'")]
    public void A_name_is_letters_digits_dot_dash_underscore(string name, string message) =>
        Assert.Equal(message, Refused(() => R(name, "411111")));

    [Fact]
    public void A_name_is_at_most_64_characters()
    {
        R(new string('a', 64), "411111");
        Assert.Equal("--name: is 65 characters; at most 64", Refused(() => R(new string('a', 65), "411111")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(-5)]
    public void A_priority_is_1_to_999(int priority) =>
        Assert.Equal($"--priority: is {priority}; expected 1 (first) to 999", Refused(() => R("n", "411111", priority: priority)));

    [Theory]
    [InlineData("-1", "--priority: '-1' is not a number; expected 1 (first) to 999")]
    [InlineData("", "--priority: '' is not a number; expected 1 (first) to 999")]
    [InlineData("99999", "--priority: '99999' is not a number; expected 1 (first) to 999")]
    [InlineData("0", "--priority: is 0; expected 1 (first) to 999")]
    public void A_priority_given_as_text_is_digits_in_range(string text, string message) =>
        Assert.Equal(message, Refused(() => RouteRules.ParsePriority(text)));

    [Theory]
    [InlineData("97", "--currency: '97' is not an ISO 4217 numeric code (3 digits, e.g. 978)")]
    [InlineData("EUR", "--currency: 'EUR' is not an ISO 4217 numeric code (3 digits, e.g. 978)")]
    [InlineData("000", "--currency: 000 is not a currency")]
    public void A_currency_is_three_digits_iso_4217_numeric(string ccy, string message) =>
        Assert.Equal(message, Refused(() => R("n", "411111", ccy: ccy)));

    [Theory]
    [InlineData("0")]
    [InlineData("0000")]
    [InlineData("00000a")]
    [InlineData("0000000")]
    public void A_processing_code_is_2_or_6_digits(string pc) =>
        Assert.StartsWith("--processing-code: ", Refused(() => R("n", "411111", pc: pc)), StringComparison.Ordinal);

    [Theory]
    [InlineData("01", MtiClass.Authorization)]
    [InlineData("02", MtiClass.Financial)]
    [InlineData("04", MtiClass.Reversal)]
    public void The_mti_classes_01_02_04_are_authorization_financial_reversal(string text, MtiClass expected) =>
        Assert.Equal(expected, RouteRules.ParseMtiClass(text));

    [Theory]
    [InlineData("1")]
    [InlineData("03")]
    [InlineData("08")]
    [InlineData("auth")]
    public void Other_mti_classes_are_refused(string text) =>
        Assert.StartsWith($"--mti-class: '{text}' is not 01 (authorization), 02 (financial) or 04 (reversal)", Refused(() => RouteRules.ParseMtiClass(text)), StringComparison.Ordinal);

    [Fact]
    public void A_failover_may_not_be_the_destination_itself() =>
        Assert.Equal("--failover: 'issuer-a' is the destination itself; give another destination or none",
            Refused(() => R("n", "411111", "issuer-a", failover: "issuer-a")));

    [Fact]
    public void Unknown_destinations_and_failovers_are_refused_naming_the_known_ones()
    {
        Assert.Equal("--destination: unknown destination 'amex'; known: issuer-a, issuer-b, issuer-c, on-us, stand-in",
            Refused(() => Known.Require(R("n", "411111", "amex"))));
        Assert.Equal("--failover: unknown destination 'nowhere'; known: issuer-a, issuer-b, issuer-c, on-us, stand-in",
            Refused(() => Known.Require(R("n", "411111", "on-us", failover: "nowhere"))));
        Known.Require(R("n", "411111", "on-us", failover: "stand-in"));
    }

    [Theory]
    [InlineData("41111111111", "PAN: has 11 digits; expected 12 to 19")]
    [InlineData("41111111111111111111", "PAN: has 20 digits; expected 12 to 19")]
    [InlineData("4111 1111 1111 1111", "PAN: character 5 is not a digit; expected 12 to 19 digits")]
    [InlineData("", "PAN: is empty; expected 12 to 19 digits")]
    public void A_test_pan_is_12_to_19_digits_and_the_message_never_repeats_it(string pan, string message)
    {
        string refused = Refused(() => RouteRules.RequirePan(pan));
        Assert.Equal(message, refused);
        if (pan.Length > 0) Assert.DoesNotContain(pan, refused, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("5105105105105100", true)]
    [InlineData("378282246310005", true)]
    public void The_luhn_check_is_reported(string pan, bool valid) => Assert.Equal(valid, RouteRules.LuhnValid(pan));

    [Theory]
    [InlineData("")]
    [InlineData("1234567890123")]
    [InlineData("-5")]
    [InlineData("1.50")]
    public void An_amount_is_1_to_12_digits_of_minor_units(string amount) =>
        Assert.StartsWith("--amount: ", Refused(() => RouteRules.ParseAmount(amount)), StringComparison.Ordinal);

    [Theory]
    [InlineData("", "--operator: is empty; say who makes the change")]
    [InlineData("a\tb", "--operator: contains a control character")]
    public void An_operator_is_named_in_printable_characters(string who, string message) =>
        Assert.Equal(message, Refused(() => RouteRules.RequireOperator(who)));

    [Fact]
    public void Random_input_is_refused_with_a_routing_error_and_never_crashes()
    {
        var random = new Random(12);
        const string alphabet = "0123456789abcXYZ-_. \t\n\u00e9\u0000";
        for (int i = 0; i < 20_000; i++)
        {
            string Next() => new([.. Enumerable.Range(0, random.Next(0, 14)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            string? pc = random.Next(2) == 0 ? null : Next(), ccy = random.Next(2) == 0 ? null : Next(), failover = random.Next(2) == 0 ? null : Next();
            try
            {
                Route route = RouteRules.Create(Next(), Next(), Next(), random.Next(-2, 1002), failover, null, pc, ccy);
                var table = RouteTable.Build([route], 1);
                Assert.Same(route, table.Lookup(new RouteRequest(route.BinPrefix + "000000", null, route.ProcessingCode ?? "", route.Currency ?? "")));
            }
            catch (RoutingException ex)
            {
                Assert.DoesNotContain('\n', ex.Message);
            }
        }
    }

    private static string Refused(Action action) => Assert.Throws<RoutingException>(action).Message;

    private static string Refused<T>(Func<T> action) => Assert.Throws<RoutingException>(() => action()).Message;
}
