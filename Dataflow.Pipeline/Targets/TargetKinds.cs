namespace Dataflow.Pipeline.Targets;

/// <summary>The kinds of target a dataset's samples carry beside their image.</summary>
[Flags]
public enum TargetKinds
{
    /// <summary>Only the image's class (<see cref="Discovery.SampleInfo.Label"/>).</summary>
    None = 0,

    /// <summary>Boxes, each with a class (<see cref="SampleTargets.Boxes"/>).</summary>
    Boxes = 1,

    /// <summary>Keypoints per instance (<see cref="SampleTargets.Keypoints"/>).</summary>
    Keypoints = 2,

    /// <summary>A label map per image (<see cref="SampleTargets.SemanticMask"/>).</summary>
    SemanticMask = 4,

    /// <summary>A mask per box (<see cref="SampleTargets.InstanceMasks"/>).</summary>
    InstanceMasks = 8,

    /// <summary>A set of classes per image (<see cref="SampleTargets.Labels"/>).</summary>
    MultiLabel = 16,

    /// <summary>Text passed through untouched (<see cref="SampleTargets.Text"/>).</summary>
    Text = 32,
}
