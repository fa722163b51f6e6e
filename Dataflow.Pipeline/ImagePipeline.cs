using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Dataflow;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Memory;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline;

/// <summary>
/// A linked TPL Dataflow graph that streams the images under the posted root folders into batches:
/// discover → read → decode-resize → augment → normalize → batch → assemble → trainer.
/// </summary>
/// <remarks>
/// <para>Post one or more roots (<c>Post</c>/<c>SendAsync</c>), then <see cref="Complete"/>: discovery
/// runs over all of them, and batches flow to the trainer callback (built with
/// <see cref="ImagePipelineBuilder.Build(Func{Batch, CancellationToken, ValueTask}, CancellationToken)"/>)
/// or to <see cref="ReadAllAsync"/> (built with <see cref="ImagePipelineBuilder.BuildStream"/>).</para>
/// <para>Every block is bounded, so at most <see cref="MaxSamplesInFlight"/> images are held at once,
/// whatever the dataset's size. Each sample's batch, row and random choices follow from (seed, epoch,
/// sample index) and the blocks keep message order, so the batches are the same bit for bit whatever
/// the parallelism.</para>
/// <para><see cref="Completion"/> ends when the run ends: faulted with the first original exception
/// (a fail-fast sample, a throwing trainer, a missing folder), canceled when cancelled, and only after
/// every Mat, byte buffer and tensor the run held has been returned.</para>
/// </remarks>
public sealed class ImagePipeline : ITargetBlock<string>, IAsyncDisposable
{
    private readonly PipelineOptions _options;
    private readonly ISampleSource _source;
    private readonly BufferBlock<string> _roots = new();
    private readonly CancellationTokenSource _cts;
    private readonly ImageDecoder _decoder;
    private readonly Normalizer _normalizer;
    private readonly ITargetBlock<ImageSample> _head;
    private readonly List<IDataflowBlock> _blocks = [];
    private readonly ConcurrentDictionary<ImageSample, byte> _loaded = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<Batch, byte> _undelivered = new(ReferenceEqualityComparer.Instance);
    private readonly BufferBlock<Batch>? _output;
    private readonly Task _completion;
    private readonly bool _swapInNormalizer;
    private readonly ColorMode _pixelOrder;
    private readonly StageClock _readClock, _decodeClock, _augmentClock, _normalizeClock;
    private BatchAssembler? _assembler;
    private ExceptionDispatchInfo? _fault;

    internal ImagePipeline(PipelineOptions options, ISampleSource source, IReadOnlyList<UserStage> stages,
        Func<Batch, CancellationToken, ValueTask>? trainer, CancellationToken cancellationToken)
    {
        _options = options;
        _source = source;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bool fused = stages.All(s => s.Position == StagePosition.AfterRead);

        // With decode, augment and normalize in one block, RGB order costs nothing: the decoder leaves OpenCV's BGR and
        // the normalizer swaps the channels as it writes the NCHW tensor. Only the library's own augmentations may see
        // the BGR pixels, as they read the channel order from their context; a user's augmentation always sees RGB.
        _swapInNormalizer = fused && options.ColorMode == ColorMode.Rgb && options.Layout == TensorLayout.Nchw
            && options.Augmentations.All(ReadsChannelOrderFromContext);
        _pixelOrder = _swapInNormalizer ? ColorMode.Bgr : options.ColorMode;
        _decoder = options.CreateDecoder(leaveBgr: _swapInNormalizer);
        _normalizer = new Normalizer(options.Normalization, options.Layout, options.Width, options.Height, options.Channels);
        CancellationToken ct = _cts.Token;
        _readClock = Report.Clock("read");
        _decodeClock = Report.Clock("decode");
        _augmentClock = Report.Clock("augment");
        _normalizeClock = Report.Clock("normalize");

        // The per-image chain. Each block keeps message order (EnsureOrdered), which is what lets the
        // batch block group positions into the planned batches whatever the parallelism.
        var read = new TransformBlock<ImageSample, ImageSample>(ReadAsync, BlockOptions(options.Read));
        var chain = new List<IPropagatorBlock<ImageSample, ImageSample>> { read };
        AddUserStages(chain, stages, StagePosition.AfterRead);
        if (fused)
        {
            // Nothing to run between decode and normalize: one block does all three per image, which saves
            // two message hops per image and keeps exactly one CPU worker per core (measured in docs/performance.md).
            chain.Add(new TransformBlock<ImageSample, ImageSample>(DecodeAugmentNormalize, BlockOptions(options.Decode)));
        }
        else
        {
            chain.Add(new TransformBlock<ImageSample, ImageSample>(Decode, BlockOptions(options.Decode)));
            AddUserStages(chain, stages, StagePosition.AfterDecode);
            if (options.Augmentations.Count > 0)
            {
                chain.Add(new TransformBlock<ImageSample, ImageSample>(Augment, BlockOptions(options.Augment)));
            }

            AddUserStages(chain, stages, StagePosition.AfterAugment);
            chain.Add(new TransformBlock<ImageSample, ImageSample>(Normalize, BlockOptions(options.Normalize)));
        }

        var batch = new BatchBlock<ImageSample>(options.BatchSize,
            new GroupingDataflowBlockOptions { BoundedCapacity = 2 * options.BatchSize, CancellationToken = ct });
        var assemble = new TransformManyBlock<ImageSample[], Batch>(Assemble,
            new ExecutionDataflowBlockOptions { BoundedCapacity = 2, MaxDegreeOfParallelism = 1, CancellationToken = ct });

        var link = new DataflowLinkOptions { PropagateCompletion = true };
        for (int i = 0; i + 1 < chain.Count; i++)
        {
            chain[i].LinkTo(chain[i + 1], link);
        }

        chain[^1].LinkTo(batch, link);
        batch.LinkTo(assemble, link);
        _blocks.AddRange(chain);
        _blocks.Add(batch);
        _blocks.Add(assemble);

        ITargetBlock<Batch> terminal;
        if (trainer is not null)
        {
            terminal = new ActionBlock<Batch>(b => DeliverAsync(b, trainer),
                new ExecutionDataflowBlockOptions { BoundedCapacity = options.PrefetchBatches, MaxDegreeOfParallelism = 1, CancellationToken = ct });
        }
        else
        {
            terminal = _output = new BufferBlock<Batch>(new DataflowBlockOptions { BoundedCapacity = options.PrefetchBatches, CancellationToken = ct });
            // A BufferBlock completed while it still holds batches ignores a later cancellation until they are
            // taken: take them on cancellation, or a reader that left early would leave the run waiting for ever.
            ct.Register(static state => ((ImagePipeline)state!).DisposeBufferedOutput(), this);
        }

        assemble.LinkTo(terminal, link);
        _blocks.Add(terminal);
        _head = read;

        // Delegate stages hold samples with bytes or pixels like the built-in blocks; a user's own block is not
        // counted (its capacity is not visible through IPropagatorBlock).
        int userCapacity = stages.Where(s => s.Block is null).Sum(s => (s.Options ?? StageOptions.ForCpu()).BoundedCapacity);
        MaxSamplesInFlight = userCapacity + (fused
            ? options.Read.BoundedCapacity + options.Decode.BoundedCapacity
            : options.Read.BoundedCapacity + options.Decode.BoundedCapacity + options.Normalize.BoundedCapacity
                + (options.Augmentations.Count > 0 ? options.Augment.BoundedCapacity : 0));

        foreach (IDataflowBlock block in _blocks)
        {
            // A fault anywhere stops everything: the first exception is kept and the rest of the graph is cancelled.
            block.Completion.ContinueWith(static (t, state) => ((ImagePipeline)state!).OnBlockFaulted(t.Exception!),
                this, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        // User blocks do not share the run's token: fault them on cancellation so they drop what they hold
        // (the samples in them are released with the other leftovers) instead of waiting on a cancelled neighbour.
        IDataflowBlock[] userBlocks = [.. stages.Where(s => s.Block is not null).Select(s => (IDataflowBlock)s.Block!)];
        if (userBlocks.Length > 0)
        {
            ct.Register(() =>
            {
                foreach (IDataflowBlock block in userBlocks)
                {
                    block.Fault(new OperationCanceledException("The pipeline run was cancelled.", ct));
                }
            });
        }

        // An async method turns any OperationCanceledException it throws into cancellation: one the trainer or
        // the source threw for its own reasons (not this run's token) must leave Completion faulted instead.
        _completion = RunAsync().ContinueWith(static (run, state) => run.IsCanceled && ((ImagePipeline)state!)._fault?.SourceException is OperationCanceledException own
                ? Task.FromException(own) : run,
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Creates a builder for a pipeline with these options.</summary>
    public static ImagePipelineBuilder CreateBuilder(PipelineOptions options) => new(options);

    /// <summary>The run's accounting: discovered, batched, skipped (path and reason), dropped, per-class counts, stage times.</summary>
    public PipelineReport Report { get; } = new();

    /// <summary>Counts of live Mats and in-flight samples (for tests and diagnostics).</summary>
    public ImageCounter Images { get; } = new();

    /// <summary>The byte-buffer pool the read stage rents from.</summary>
    public BufferPool Buffers { get; } = new();

    /// <summary>The batch-tensor pool.</summary>
    public TensorPool Tensors { get; } = new();

    /// <summary>
    /// The most samples holding image data (bytes or pixels) at once: the sum of the capacities of the blocks
    /// between read and normalize, delegate stages included (blocks added with <c>AddBlock</c> are not counted).
    /// </summary>
    public int MaxSamplesInFlight { get; }

    /// <summary>Class names, once discovery has run.</summary>
    public IReadOnlyList<string> ClassNames => Report.ClassNames;

    /// <summary>The options the pipeline was built with.</summary>
    public PipelineOptions Options => _options;

    /// <summary>Ends when the run has ended and all its memory is returned.</summary>
    public Task Completion => _completion;

    /// <summary>Posts a root folder (see <see cref="DataflowBlock.Post{TInput}"/>); false once completed.</summary>
    public bool Post(string root) => _roots.Post(root);

    /// <summary>Sends a root folder asynchronously; false once completed.</summary>
    public Task<bool> SendAsync(string root, CancellationToken cancellationToken = default) => _roots.SendAsync(root, cancellationToken);

    /// <summary>Signals that no more roots will be posted; discovery starts.</summary>
    public void Complete() => _roots.Complete();

    /// <summary>Cancels the run.</summary>
    public void Cancel() => _cts.Cancel();

    void IDataflowBlock.Fault(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ((IDataflowBlock)_roots).Fault(exception);
    }

    DataflowMessageStatus ITargetBlock<string>.OfferMessage(DataflowMessageHeader messageHeader, string messageValue, ISourceBlock<string>? source, bool consumeToAccept) =>
        ((ITargetBlock<string>)_roots).OfferMessage(messageHeader, messageValue, source, consumeToAccept);

    /// <summary>
    /// The batches as an async stream (for a pipeline built with <see cref="ImagePipelineBuilder.BuildStream"/>).
    /// The consumer owns and disposes each batch. Leaving the loop early cancels the run.
    /// </summary>
    /// <exception cref="InvalidOperationException">The pipeline was built with a trainer callback.</exception>
    public async IAsyncEnumerable<Batch> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BufferBlock<Batch> output = _output ?? throw new InvalidOperationException("This pipeline hands batches to its trainer callback; build it with BuildStream() to read them with ReadAllAsync.");
        bool finished = false;
        try
        {
            while (await output.OutputAvailableAsync(cancellationToken).ConfigureAwait(false))
            {
                while (output.TryReceive(out Batch? batch))
                {
                    Handover(batch);
                    yield return batch;
                }
            }

            finished = true;
        }
        finally
        {
            if (!finished)
            {
                _cts.Cancel();
            }
        }

        await _completion.ConfigureAwait(false);
    }

    /// <summary>Cancels the run if it is still going and waits until its memory is returned.</summary>
    public async ValueTask DisposeAsync()
    {
        _roots.Complete();
        if (!_completion.IsCompleted)
        {
            _cts.Cancel();
        }

        try
        {
            await _completion.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The run's outcome is observed through Completion; disposal only waits for the clean-up.
        }

        _cts.Dispose();
    }

    private ExecutionDataflowBlockOptions BlockOptions(StageOptions stage) => new()
    {
        MaxDegreeOfParallelism = stage.MaxDegreeOfParallelism,
        BoundedCapacity = stage.BoundedCapacity,
        CancellationToken = _cts.Token,
    };

    private void AddUserStages(List<IPropagatorBlock<ImageSample, ImageSample>> chain, IReadOnlyList<UserStage> stages, StagePosition position)
    {
        foreach (UserStage stage in stages)
        {
            if (stage.Position != position)
            {
                continue;
            }

            if (stage.Block is not null)
            {
                chain.Add(stage.Block);
            }
            else
            {
                StageClock clock = Report.Clock(stage.Name);
                Action<ImageSample> action = stage.Action!;
                chain.Add(new TransformBlock<ImageSample, ImageSample>(
                    s => Run(s, stage.Name, clock, action), BlockOptions(stage.Options ?? StageOptions.ForCpu())));
            }
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await ProduceAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            RecordFault(e);
        }
        finally
        {
            _head.Complete();
        }

        // Wait for every block, whatever its outcome, before returning memory: no delegate may still run.
        try
        {
            await Task.WhenAll(_blocks.Select(b => b.Completion)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Outcomes are read below: the first fault wins over the cancellations it caused.
        }

        ReleaseLeftovers();
        _fault?.Throw();
        if (_cts.IsCancellationRequested || _blocks.Any(b => b.Completion.IsCanceled))
        {
            throw new OperationCanceledException("The pipeline run was cancelled.", _cts.Token);
        }
    }

    private async Task ProduceAsync()
    {
        CancellationToken ct = _cts.Token;
        var roots = new List<string>();
        while (await _roots.OutputAvailableAsync(ct).ConfigureAwait(false))
        {
            if (_roots.TryReceiveAll(out IList<string>? posted))
            {
                roots.AddRange(posted);
            }
        }

        // A faulted root block (IDataflowBlock.Fault) ends the run with that exception.
        await _roots.Completion.ConfigureAwait(false);
        SampleSet set = await _source.DiscoverAsync(roots, ct).ConfigureAwait(false);
        int[] selected = DatasetSplit.Select(set, _options.ValidationSplit, _options.Subset, _options.Seed);
        if (selected.Length == 0)
        {
            throw new InvalidDataException($"The {_options.Subset} subset is empty: {set.Samples.Count} samples with ValidationSplit {_options.ValidationSplit}.");
        }

        Report.SetDiscovery(set, selected.Length, _options.Epochs);
        _assembler = new BatchAssembler(Tensors, _options.BatchSize, _normalizer.SampleShape, _options.Layout, set.ClassNames);

        int batchSize = _options.BatchSize;
        int[] order = new int[selected.Length];
        int[] slots = new int[batchSize];
        var random = new SampleRandom(_options.Seed);
        for (int epoch = 0; epoch < _options.Epochs; epoch++)
        {
            selected.CopyTo(order, 0);
            if (_options.Shuffle)
            {
                random.Reset(_options.Seed, 0x0DE7, epoch);
                random.Shuffle<int>(order);
            }

            int batches = _options.DropLast ? order.Length / batchSize : (order.Length + batchSize - 1) / batchSize;
            Report.AddDroppedLast(order.Length - Math.Min(order.Length, batches * batchSize));
            for (int b = 0; b < batches; b++)
            {
                int start = b * batchSize;
                int count = Math.Min(batchSize, order.Length - start);
                for (int j = 0; j < count; j++)
                {
                    slots[j] = j;
                }

                if (_options.ShuffleWithinBatch)
                {
                    random.Reset(_options.Seed, 0xBA7C, epoch, b);
                    random.Shuffle(slots.AsSpan(0, count));
                }

                // A short last batch is padded to a full group so that the batch block cuts exactly here.
                for (int j = 0; j < batchSize; j++)
                {
                    var sample = j < count
                        ? new ImageSample(set.Samples[order[start + j]], epoch, b, start + j, slots[j], Images)
                        : new ImageSample(null, epoch, b, start + j, -1, Images);
                    if (!await _head.SendAsync(sample, ct).ConfigureAwait(false))
                    {
                        return; // The graph is shutting down (a fault); the outcome is recorded there.
                    }
                }
            }

            Report.EpochsStarted = epoch + 1;
        }
    }

    private async Task<ImageSample> ReadAsync(ImageSample sample)
    {
        if (sample.IsPadding)
        {
            return sample;
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            _loaded.TryAdd(sample, 0);
            PooledBuffer bytes = await _source.ReadAsync(sample.Info!, Buffers, _cts.Token).ConfigureAwait(false);
            sample.SetBytes(bytes);
        }
        catch (Exception e)
        {
            Fail(sample, "read", e);
        }

        _readClock.AddSince(start);
        return sample;
    }

    private ImageSample Decode(ImageSample sample) => Run(sample, "decode", _decodeClock, s =>
    {
        PooledBuffer bytes = s.Bytes!;
        var image = _decoder.Decode(bytes.Span, s.Info!.Id, SourceRegion(s));
        s.ReleaseBytes();
        s.ReplaceImage(image);
    });

    private ImageSample DecodeAugmentNormalize(ImageSample sample)
    {
        Decode(sample);
        if (_options.Augmentations.Count > 0)
        {
            Augment(sample);
        }

        return Normalize(sample);
    }

    /// <summary>
    /// A leading <see cref="ISourceCropAugmentation"/> is fused with the decoder's resize: it picks its region of the
    /// full-size image here, with draws of its own from (seed, epoch, sample index), and the augment stage skips it.
    /// </summary>
    private Func<OpenCvSharp.Size, OpenCvSharp.Rect>? SourceRegion(ImageSample s)
    {
        if (_options.Augmentations.Count == 0 || _options.Augmentations[0] is not ISourceCropAugmentation crop)
        {
            return null;
        }

        // A fresh context per call: the decoder may ask about several sizes, and each answer must not depend on the others.
        long seed = _options.Seed;
        int epoch = s.Epoch, index = s.Info!.Index;
        ColorMode color = _pixelOrder;
        var target = new OpenCvSharp.Size(_options.Width, _options.Height);
        return size => crop.SelectRegion(size, target, AugmentationContext.ForSourceCrop(seed, epoch, index, color));
    }

    private ImageSample Augment(ImageSample sample) => Run(sample, "augment", _augmentClock, s =>
    {
        var context = new AugmentationContext(_options.Seed, s.Epoch, s.Info!.Index, _pixelOrder);
        IReadOnlyList<IAugmentation> augmentations = _options.Augmentations;
        for (int i = augmentations[0] is ISourceCropAugmentation ? 1 : 0; i < augmentations.Count; i++)
        {
            s.ReplaceImage(augmentations[i].Apply(s.Image!, context));
        }
    });

    private ImageSample Normalize(ImageSample sample)
    {
        Run(sample, "normalize", _normalizeClock, s =>
        {
            WriteRow(s);
            s.IsWritten = true;
        });

        // Past this block the sample is only metadata: its pixels live in the batch tensor.
        sample.Release();
        _loaded.TryRemove(sample, out _);
        return sample;
    }

    private void WriteRow(ImageSample s) => _normalizer.Write(s.Image!, _assembler!.RowFor(s), _swapInNormalizer);

    /// <summary>True for the library's own augmentations (and combinators of them): they take the channel order from their context.</summary>
    private static bool ReadsChannelOrderFromContext(IAugmentation augmentation) => AugmentationContracts.HandlesAnyChannelOrder(augmentation);

    private ImageSample Run(ImageSample sample, string stage, StageClock clock, Action<ImageSample> work)
    {
        if (sample.IsPadding || sample.IsSkipped)
        {
            return sample;
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            work(sample);
        }
        catch (Exception e)
        {
            Fail(sample, stage, e);
        }

        clock.AddSince(start);
        return sample;
    }

    private void Fail(ImageSample sample, string stage, Exception e)
    {
        if (e is OperationCanceledException && _cts.IsCancellationRequested)
        {
            // Cancellation: Dataflow drops the message, so release it here.
            sample.Release();
            _loaded.TryRemove(sample, out _);
            ExceptionDispatchInfo.Throw(e);
        }

        if (_options.ErrorPolicy == ErrorPolicy.FailFast)
        {
            // The run ends with this exception. The block itself is not faulted: a block faulting under a
            // full upstream block can leave that block waiting forever; cancelling every block at once cannot.
            RecordFault(new SampleFailedException(sample.Info!.Id, stage, e));
        }
        else
        {
            Report.AddSkipped(new SkippedSample(sample.Info!.Id, sample.Epoch, stage, e.Message));
        }

        sample.Skip($"{stage}: {e.Message}");
        _loaded.TryRemove(sample, out _);
    }

    private Batch[] Assemble(ImageSample[] group)
    {
        Batch? batch;
        try
        {
            batch = _assembler!.Assemble(group);
        }
        catch (Exception e)
        {
            // A user block broke the message order: end the run by cancellation, as for any fault.
            RecordFault(e);
            return [];
        }

        if (batch is null)
        {
            return []; // Every sample of this batch was skipped; the report lists them.
        }

        _undelivered.TryAdd(batch, 0);
        return [batch];
    }

    /// <summary>A batch leaves the pipeline's hands: it counts as batched only now, so a run cut short reports what was handed over.</summary>
    private void Handover(Batch batch)
    {
        _undelivered.TryRemove(batch, out _);
        Report.AddBatch(batch.Labels);
    }

    private async Task DeliverAsync(Batch batch, Func<Batch, CancellationToken, ValueTask> trainer)
    {
        Handover(batch);
        try
        {
            await trainer(batch, _cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            // The run is being cancelled; the trainer stopped because of it.
        }
        catch (Exception e)
        {
            // As for a fail-fast sample: keep the original exception and cancel the whole graph.
            RecordFault(e);
        }
        finally
        {
            batch.Dispose();
        }
    }

    private void OnBlockFaulted(AggregateException exception)
    {
        // A block faulted by a linked source carries that source's exception wrapped again: unwrap to the original.
        Exception first = exception.Flatten().InnerExceptions[0];
        if (first is OperationCanceledException && _cts.IsCancellationRequested)
        {
            return; // A user block stopped by the run's own cancellation (see the constructor).
        }

        RecordFault(first);
    }

    private void RecordFault(Exception e)
    {
        Interlocked.CompareExchange(ref _fault, ExceptionDispatchInfo.Capture(e), null);
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void ReleaseLeftovers()
    {
        // Blocks drop buffered messages on cancellation without disposing them: return what they held.
        foreach (ImageSample sample in _loaded.Keys)
        {
            sample.Release();
        }

        _loaded.Clear();
        DisposeBufferedOutput();
        foreach (Batch b in _undelivered.Keys)
        {
            b.Dispose();
        }

        _undelivered.Clear();
        _assembler?.ReturnAll();
    }

    private void DisposeBufferedOutput()
    {
        if (_output is not null && _output.TryReceiveAll(out IList<Batch>? left))
        {
            foreach (Batch b in left)
            {
                _undelivered.TryRemove(b, out _);
                b.Dispose();
            }
        }
    }

    internal sealed record UserStage(StagePosition Position, string Name, Action<ImageSample>? Action, IPropagatorBlock<ImageSample, ImageSample>? Block, StageOptions? Options);
}
