using Switch.Iso8583;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Network.Framing;

/// <summary>
/// Re-encodes a message of one spec into another, field by field through each field's text form (digits, characters,
/// hex for binary): a message decoded by a listener of one dialect can leave on a connector of another. Refused, with
/// the field named, when the target spec lacks a field or a value does not fit it.
/// </summary>
internal static class SpecConversion
{
    /// <summary>The message in <paramref name="target"/>'s spec (itself when already of it); throws <see cref="IsoFormatException"/>.</summary>
    public static IsoMessage To(IsoMessage message, MessageSpec target)
    {
        if (ReferenceEquals(message.Spec, target)) return message;
        var copy = new IsoMessage(target, message.Count + 1);
        if (target.Mti is not null && message.Mti is { } mti) copy.Mti = mti;
        var header = message.Header;
        if (!header.IsEmpty)
        {
            if (header.Length != target.HeaderLength)
                throw new IsoFormatException($"its {header.Length}-byte header has no place in spec {target.Name} (header of {target.HeaderLength} bytes)");
            copy.SetHeader(header);
        }
        foreach (int field in message.Fields) CopyField(message, copy, field);
        return copy;
    }

    private static void CopyField(IsoMessage from, IsoMessage to, int field)
    {
        var targetField = to.Spec[field];
        if (targetField is null || !to.Spec.IsDataField(field))
            throw new IsoFormatException($"field {field} is not defined in spec {to.Spec.Name}", field);
        bool composite = from.Spec[field]?.Subfields is not null;
        if (composite != targetField.Subfields is not null)
            throw new IsoFormatException($"field {field} has sub-fields in one spec and not in the other ({from.Spec.Name}, {to.Spec.Name})", field);
        try
        {
            if (composite) to.SetSubMessage(field, To(from.GetSubMessage(field)!, targetField.Subfields!));
            else to.Set(field, from.GetString(field)!);
        }
        catch (IsoFormatException ex) when (ex.Field < 0)
        {
            throw new IsoFormatException($"field {field} does not fit spec {to.Spec.Name}: {ex.Reason}", field);
        }
    }
}
