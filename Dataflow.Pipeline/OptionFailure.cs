namespace Dataflow.Pipeline;

/// <summary>One invalid option: its name and a message stating the allowed values and the value given.</summary>
/// <param name="Option">The option's name, with its path for nested options (<c>Decode.BoundedCapacity</c>, <c>Normalization.Std</c>).</param>
/// <param name="Message">What is wrong, as <c>Parameter "Width" must be between 1 and 16384, was 0.</c></param>
public sealed record OptionFailure(string Option, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}
