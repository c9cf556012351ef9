namespace Switch.Core.MasterData.Postgres;

/// <summary>A master data change or load refused: bad input, a constraint, or a schema problem; the message is for the operator.</summary>
public class MasterDataException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Postgres is unreachable: a running switch keeps serving its last snapshot; changes are refused.</summary>
public sealed class MasterDataUnavailableException(string message, Exception inner) : MasterDataException(message, inner);
