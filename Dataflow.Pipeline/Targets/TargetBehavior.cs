namespace Dataflow.Pipeline.Targets;

/// <summary>What an augmentation does to a sample's targets (boxes, keypoints, masks): the contract that lets them follow the pixels.</summary>
public enum TargetBehavior
{
    /// <summary>Not declared: a pipeline whose dataset has targets refuses the augmentation, naming it.</summary>
    Undeclared = 0,

    /// <summary>Changes pixel values only (colour, blur, erasing): targets stay where they are.</summary>
    PixelsOnly = 1,

    /// <summary>
    /// Moves pixels, and reports each move with <see cref="Augmentation.AugmentationContext.RecordGeometry"/> (the map and the size of
    /// the image it gives), so that targets move the same way.
    /// </summary>
    RecordsGeometry = 2,
}
