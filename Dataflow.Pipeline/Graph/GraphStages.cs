using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Reading;

namespace Dataflow.Pipeline.Graph;

/// <summary>The bodies of the built-in stages of one run; the graph wraps each in a block.</summary>
internal sealed record GraphStages(ReadStage Read, DecodeStage Decode, AugmentStage Augment, NormalizeStage Normalize, AssembleStage Assemble);
