using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;

namespace Switch.Core.Pipeline;

/// <summary>
/// Builds the answer: the answer MTI (<see cref="Mti.ResponseOf"/>), the request's echo fields as sent (DE2, 3, 4, 7,
/// 11, 12, 13, 32, 37, 41, 42, 49, copied as wire bytes), DE39, DE38 on approval and DE54 from the decision. A
/// duplicate's answer is the original's, already in the context.
/// </summary>
public sealed class ResponseParticipant : IParticipant
{
    /// <summary>Fields an answer echoes when the request has them.</summary>
    public static readonly int[] EchoFields = [2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49];

    /// <inheritdoc/>
    public string Name => "respond";

    /// <inheritdoc/>
    public bool Always => true;

    /// <inheritdoc/>
    public ValueTask PrepareAsync(TransactionContext context, CancellationToken ct)
    {
        if (context.DuplicateOf is not null) return ValueTask.CompletedTask;
        context.Response = Build(context.Request, context.ResponseCode ?? ResponseCode.SystemMalfunction, context.ApprovalCode, context.AdditionalAmounts);
        return ValueTask.CompletedTask;
    }

    /// <summary>The answer to <paramref name="request"/> with the decision's fields.</summary>
    public static IsoMessage Build(IsoMessage request, string responseCode, string? approvalCode, string? additionalAmounts)
    {
        string mti = Mti.ResponseOf(request.Mti) ?? throw new ArgumentException($"MTI {request.Mti} expects no answer", nameof(request));
        var response = request.CreateResponse(mti, EchoFields).Set(39, responseCode);
        if (responseCode == ResponseCode.Approved && !string.IsNullOrEmpty(approvalCode)) response.Set(38, approvalCode);
        if (!string.IsNullOrEmpty(additionalAmounts)) response.Set(54, additionalAmounts);
        return response;
    }

    /// <inheritdoc/>
    public void Commit(TransactionContext context) { }

    /// <inheritdoc/>
    public void Abort(TransactionContext context) { }
}
