using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dataflow.Samples.Output;

/// <summary>A progress column showing the task's speed as images per second.</summary>
public sealed class ImagesPerSecondColumn : ProgressColumn
{
    /// <inheritdoc />
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
    {
        ArgumentNullException.ThrowIfNull(task);
        double? speed = task.Speed;
        return new Text(speed is null ? "- img/s" : string.Create(CultureInfo.InvariantCulture, $"{speed.Value:N0} img/s"), new Style(Color.Aqua));
    }
}
