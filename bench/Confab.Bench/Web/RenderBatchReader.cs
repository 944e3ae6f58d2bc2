using System.Buffers.Binary;

namespace Confab.Bench.Web;

/// <summary>
/// Reads what the driver needs from a Blazor render batch (the bytes of <c>JS.RenderBatch</c>), in the format of
/// aspnetcore's <c>RenderBatchWriter</c> that blazor.web.js's <c>OutOfProcessRenderBatch</c> reads. The batch ends with
/// five int32 offsets: updated components, reference frames, disposed component ids, disposed event handler ids, string
/// table. Updated components: a count and the position of each diff (component id, edit count, edits of 16 bytes:
/// type, sibling index, reference frame index, removed attribute name). Reference frames: a count and frames of 20
/// bytes (type, then by type: an element's subtree length and name; an attribute's name, value and 8-byte event
/// handler id; a text's or markup's string). Strings are .NET <c>BinaryWriter</c> strings (7-bit length, UTF-8), found
/// through the table of their positions. Nothing is allocated.
/// </summary>
internal readonly ref struct RenderBatchReader
{
    private const int FrameSize = 20;
    private const int EditSize = 16;

    // RenderTreeFrameType and RenderTreeEditType, as the writer numbers them.
    private const int ElementFrame = 1;
    private const int AttributeFrame = 3;
    private const int RegionFrame = 5;
    private const int PrependFrameEdit = 1;
    private const int SetAttributeEdit = 3;
    private const int RemoveAttributeEdit = 4;

    private readonly ReadOnlySpan<byte> data;
    private readonly int updatedComponents;
    private readonly int referenceFrames;
    private readonly int stringTable;

    public RenderBatchReader(ReadOnlySpan<byte> batch)
    {
        data = batch;
        var tail = batch[^20..];
        updatedComponents = BinaryPrimitives.ReadInt32LittleEndian(tail);
        referenceFrames = BinaryPrimitives.ReadInt32LittleEndian(tail[4..]);
        stringTable = BinaryPrimitives.ReadInt32LittleEndian(tail[16..]);
    }

    private int StringCount => (data.Length - 20 - stringTable) / 4;

    /// <summary>
    /// Adds to <paramref name="numbers"/> the number after each message marker found in the batch's strings
    /// (message text arrives as markup or text): how a receiving session sees that a message reached it.
    /// </summary>
    public void FindMarkers(List<long> numbers)
    {
        for (int i = 0; i < StringCount; i++)
        {
            SessionContext.FindMarkers(String(i), numbers);
        }
    }

    /// <summary>
    /// Follows the room page's composer through the batch: the component that renders the textarea with id
    /// <c>composer-input</c>, its <c>oninput</c> and <c>onsubmit</c> handler ids (they change when the component renders
    /// new delegates), and whether the textarea is enabled (its <c>disabled</c> attribute removed).
    /// </summary>
    public void FollowComposer(Composer composer)
    {
        int diffs = Int(updatedComponents);
        for (int d = 0; d < diffs; d++)
        {
            int diff = Int(updatedComponents + 4 + (4 * d));
            int componentId = Int(diff);
            int edits = Int(diff + 4);
            for (int e = 0; e < edits; e++)
            {
                int edit = diff + 8 + (EditSize * e);
                int type = Int(edit);
                int frame = Int(edit + 8);
                switch (type)
                {
                    case PrependFrameEdit:
                        FollowPrepended(composer, componentId, frame);
                        break;
                    case SetAttributeEdit when componentId == composer.ComponentId:
                        FollowAttribute(composer, frame);
                        break;
                    case RemoveAttributeEdit when componentId == composer.ComponentId && StringEquals(Int(edit + 12), "disabled"u8):
                        composer.Enabled = true;
                        break;
                }
            }
        }
    }

    private void FollowPrepended(Composer composer, int componentId, int frame)
    {
        int type = FrameInt(frame, 0);
        if (type == AttributeFrame && componentId == composer.ComponentId)
        {
            FollowAttribute(composer, frame);
            return;
        }

        if (type is not (ElementFrame or RegionFrame))
        {
            return;
        }

        // The form's handler comes before the textarea that names the component: find the textarea first.
        int end = frame + FrameInt(frame, 4);
        for (int f = frame; f < end && componentId != composer.ComponentId; f++)
        {
            if (IsComposerId(f))
            {
                composer.ComponentId = componentId;
            }
        }

        if (componentId != composer.ComponentId)
        {
            return;
        }

        for (int f = frame; f < end; f++)
        {
            if (IsComposerId(f))
            {
                composer.Enabled = true; // a new textarea; its disabled attribute, if any, follows its id
            }
            else if (FrameInt(f, 0) == AttributeFrame)
            {
                FollowAttribute(composer, f);
            }
        }
    }

    private bool IsComposerId(int frame) =>
        FrameInt(frame, 0) == AttributeFrame && StringEquals(FrameInt(frame, 4), "id"u8) && StringEquals(FrameInt(frame, 8), "composer-input"u8);

    private void FollowAttribute(Composer composer, int frame)
    {
        ulong handler = BinaryPrimitives.ReadUInt64LittleEndian(FrameBytes(frame)[12..]);
        int name = FrameInt(frame, 4);
        if (handler != 0 && StringEquals(name, "oninput"u8))
        {
            composer.InputHandler = handler;
        }
        else if (handler != 0 && StringEquals(name, "onsubmit"u8))
        {
            composer.SubmitHandler = handler;
        }
        else if (StringEquals(name, "disabled"u8))
        {
            composer.Enabled = false;
        }
    }

    private bool StringEquals(int index, ReadOnlySpan<byte> expected) => index >= 0 && String(index).SequenceEqual(expected);

    private ReadOnlySpan<byte> String(int index)
    {
        int at = Int(stringTable + (4 * index));
        int length = 0;
        int shift = 0;
        byte next;
        do
        {
            next = data[at++];
            length |= (next & 0x7F) << shift;
            shift += 7;
        }
        while ((next & 0x80) != 0);

        return data.Slice(at, length);
    }

    private ReadOnlySpan<byte> FrameBytes(int frame) => data.Slice(referenceFrames + 4 + (FrameSize * frame), FrameSize);

    private int FrameInt(int frame, int offset) => BinaryPrimitives.ReadInt32LittleEndian(FrameBytes(frame)[offset..]);

    private int Int(int at) => BinaryPrimitives.ReadInt32LittleEndian(data[at..]);
}

/// <summary>What a session knows of the room page's composer, kept current batch by batch.</summary>
internal sealed class Composer
{
    public int ComponentId { get; set; } = -1;

    public ulong InputHandler { get; set; }

    public ulong SubmitHandler { get; set; }

    /// <summary>The textarea can be typed into: rendered without <c>disabled</c> (the page enables it once its JS is wired).</summary>
    public bool Enabled { get; set; }

    /// <summary>The DotNetObject id of the renderer's interop methods, through which events are dispatched.</summary>
    public long RendererInterop { get; set; }

    public bool Ready => Enabled && InputHandler != 0 && SubmitHandler != 0 && RendererInterop != 0;
}
