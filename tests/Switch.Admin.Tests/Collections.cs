namespace Switch.Admin.Tests;

/// <summary>Tests that open a journal (each starts librdkafka's mock cluster) run one at a time.</summary>
[CollectionDefinition("journal", DisableParallelization = false)]
public sealed class JournalCollection;
