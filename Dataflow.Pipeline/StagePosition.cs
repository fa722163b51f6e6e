namespace Dataflow.Pipeline;

/// <summary>Where a user stage goes in the graph.</summary>
public enum StagePosition
{
    /// <summary>After read: the sample holds its encoded bytes.</summary>
    AfterRead,
    /// <summary>After decode-resize: the sample holds its 8-bit pixels at the target size.</summary>
    AfterDecode,
    /// <summary>After augment: the sample holds its final 8-bit pixels, before normalization.</summary>
    AfterAugment,
}
