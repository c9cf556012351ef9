using System.Text;
using System.Text.Json;
using Switch.Iso8583;
using Switch.Iso8583.Masking;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;

namespace Switch.Simulators.Card;

/// <summary>
/// Prints exchanges for people (a decoded table per message) or machines (one JSON line per exchange), every value
/// masked by its field's sensitivity in the spec: no PAN, track data or PIN block is ever printed in full.
/// </summary>
public static class ExchangePrinter
{
    /// <summary>
    /// The exchange as two decoded tables (request, answer) and a result line; with <paramref name="decodeBalances"/>
    /// (the ATM) also one line per amount of the answer's DE 54.
    /// </summary>
    public static string Table(PosExchange exchange, bool decodeBalances = false)
    {
        var sb = new StringBuilder();
        sb.Append("-> ").Append(exchange.Kind).Append(": ").Append(exchange.Request.Mti).AppendLine(" request");
        AppendFields(sb, exchange.Request);
        if (exchange.Answer is not null)
        {
            sb.Append("<- ").Append(exchange.Answer.Mti).Append(" answer in ").Append(exchange.ElapsedMs.ToString("F1")).AppendLine(" ms");
            AppendFields(sb, exchange.Answer);
            if (decodeBalances) AppendBalances(sb, exchange);
        }
        sb.AppendLine(Summary(exchange));
        return sb.ToString();
    }

    /// <summary>One line: DE 39 and its meaning, the answer's MAC check, the time; or the error.</summary>
    public static string Summary(PosExchange exchange)
    {
        if (exchange.Error is not null) return $"== {exchange.Kind}: {exchange.Error}";
        string code = exchange.ResponseCode ?? "--";
        string mac = exchange.AnswerMacValid switch
        {
            true => "MAC valid",
            false => "MAC INVALID",
            null => "no MAC checked",
        };
        return $"== {exchange.Kind}: DE39 {code} {ResponseCode.Describe(exchange.ResponseCode)}, {mac}, {exchange.ElapsedMs:F1} ms";
    }

    private static void AppendBalances(StringBuilder sb, PosExchange exchange)
    {
        try
        {
            foreach (var amount in AtmTerminal.Balances(exchange)) sb.Append("   DE 54: ").AppendLine(amount.ToString());
        }
        catch (FormatException ex)
        {
            sb.Append("   DE 54: unreadable: ").AppendLine(ex.Message);
        }
    }

    private static void AppendFields(StringBuilder sb, IsoMessage message)
    {
        sb.AppendLine($"   {"field",-5}  {"name",-40}  value");
        sb.AppendLine($"   {"0",-5}  {"MTI",-40}  {message.Mti}");
        foreach (int f in message.Fields)
        {
            var fs = message.Spec[f]!;
            string name = fs.Name.Length > 40 ? fs.Name[..40] : fs.Name;
            sb.AppendLine($"   {f,-5}  {name,-40}  {MaskedValue(message, f)}");
        }
    }

    /// <summary>A field's display value: masked by sensitivity; DE 39 with its meaning.</summary>
    public static string MaskedValue(IsoMessage message, int field)
    {
        var fs = message.Spec[field]!;
        if (fs.Sensitivity == Switch.Iso8583.Spec.Sensitivity.Secret) return SensitiveDataMasker.Redacted;
        if (fs.Subfields is not null) return "[sub-fields]";
        string value;
        try
        {
            value = SensitiveDataMasker.MaskField(fs, message.GetString(field)!);
        }
        catch (IsoFormatException)
        {
            return "[unreadable]";
        }
        return field == 39 ? $"{value} ({ResponseCode.Describe(value)})" : value;
    }

    /// <summary>The exchange as one JSON line (masked); with <paramref name="decodeBalances"/> (the ATM) also <c>balances</c>, DE 54 decoded.</summary>
    public static string Json(PosExchange exchange, bool decodeBalances = false)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("exchange", exchange.Kind);
            w.WritePropertyName("request");
            w.WriteRawValue(SensitiveDataMasker.ToMaskedJson(exchange.Request));
            if (exchange.Answer is not null)
            {
                w.WritePropertyName("answer");
                w.WriteRawValue(SensitiveDataMasker.ToMaskedJson(exchange.Answer));
            }
            else
            {
                w.WriteNull("answer");
            }
            if (exchange.ResponseCode is { } code)
            {
                w.WriteString("responseCode", code);
                w.WriteString("meaning", ResponseCode.Describe(code));
            }
            if (exchange.AnswerMacValid is bool valid) w.WriteBoolean("macValid", valid);
            if (decodeBalances) WriteBalances(w, exchange);
            w.WriteNumber("elapsedMs", Math.Round(exchange.ElapsedMs, 3));
            if (exchange.Error is not null) w.WriteString("error", exchange.Error);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteBalances(Utf8JsonWriter w, PosExchange exchange)
    {
        IReadOnlyList<AdditionalAmount> amounts;
        try
        {
            amounts = AtmTerminal.Balances(exchange);
        }
        catch (FormatException ex)
        {
            w.WriteString("balancesError", ex.Message);
            return;
        }
        if (amounts.Count == 0) return;
        w.WriteStartArray("balances");
        foreach (var a in amounts)
        {
            w.WriteStartObject();
            w.WriteString("accountType", a.AccountType);
            w.WriteString("amountType", a.AmountType);
            w.WriteString("currency", a.Currency);
            w.WriteString("sign", a.Sign.ToString());
            w.WriteNumber("amountMinor", a.AmountMinor);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
