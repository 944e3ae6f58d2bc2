using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Confab.Bench.Web;

/// <summary>The MessagePack writes the driver needs: arrays, an empty map, nil, booleans, integers and strings.</summary>
internal readonly struct PackWriter(IBufferWriter<byte> output)
{
    public void ArrayHeader(int count)
    {
        if (count < 16)
        {
            Byte((byte)(0x90 | count));
        }
        else
        {
            Byte(0xDC);
            BinaryPrimitives.WriteUInt16BigEndian(output.GetSpan(2), (ushort)count);
            output.Advance(2);
        }
    }

    public void MapHeader(int count) => Byte((byte)(0x80 | count));

    public void Nil() => Byte(0xC0);

    public void Boolean(bool value) => Byte(value ? (byte)0xC3 : (byte)0xC2);

    public void Integer(long value)
    {
        if (value is >= 0 and < 128)
        {
            Byte((byte)value);
        }
        else if (value is >= 0 and <= uint.MaxValue)
        {
            Byte(0xCE);
            BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), (uint)value);
            output.Advance(4);
        }
        else
        {
            Byte(0xD3);
            BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
            output.Advance(8);
        }
    }

    public void String(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        if (length < 32)
        {
            Byte((byte)(0xA0 | length));
        }
        else if (length <= byte.MaxValue)
        {
            Byte(0xD9);
            Byte((byte)length);
        }
        else if (length <= ushort.MaxValue)
        {
            Byte(0xDA);
            BinaryPrimitives.WriteUInt16BigEndian(output.GetSpan(2), (ushort)length);
            output.Advance(2);
        }
        else
        {
            Byte(0xDB);
            BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), (uint)length);
            output.Advance(4);
        }

        output.Advance(Encoding.UTF8.GetBytes(value, output.GetSpan(length)));
    }

    public void Value(object? value)
    {
        switch (value)
        {
            case null:
                Nil();
                break;
            case bool flag:
                Boolean(flag);
                break;
            case int number:
                Integer(number);
                break;
            case long number:
                Integer(number);
                break;
            case string text:
                String(text);
                break;
            default:
                throw new ArgumentException($"no MessagePack form for {value.GetType().Name}", nameof(value));
        }
    }

    private void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}

/// <summary>Reads MessagePack values one after another from a span: what the server's hub messages hold.</summary>
internal ref struct PackReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> data = data;
    private int at;

    public readonly bool End => at >= data.Length;

    public int ArrayHeader()
    {
        byte code = data[at++];
        return code switch
        {
            >= 0x90 and <= 0x9F => code & 0x0F,
            0xDC => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xDD => checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw new InvalidDataException($"expected an array, found 0x{code:X2}"),
        };
    }

    public bool TryNil()
    {
        if (data[at] == 0xC0)
        {
            at++;
            return true;
        }

        return false;
    }

    public long Integer()
    {
        byte code = data[at++];
        return code switch
        {
            <= 0x7F => code,
            >= 0xE0 => (sbyte)code,
            0xCC => Take(1)[0],
            0xCD => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xCE => BinaryPrimitives.ReadUInt32BigEndian(Take(4)),
            0xCF => checked((long)BinaryPrimitives.ReadUInt64BigEndian(Take(8))),
            0xD0 => (sbyte)Take(1)[0],
            0xD1 => BinaryPrimitives.ReadInt16BigEndian(Take(2)),
            0xD2 => BinaryPrimitives.ReadInt32BigEndian(Take(4)),
            0xD3 => BinaryPrimitives.ReadInt64BigEndian(Take(8)),
            _ => throw new InvalidDataException($"expected an integer, found 0x{code:X2}"),
        };
    }

    public bool Boolean() => data[at++] switch
    {
        0xC3 => true,
        0xC2 => false,
        var code => throw new InvalidDataException($"expected a boolean, found 0x{code:X2}"),
    };

    /// <summary>A string's UTF-8 bytes (empty for nil).</summary>
    public ReadOnlySpan<byte> StringBytes()
    {
        byte code = data[at++];
        int length = code switch
        {
            0xC0 => 0,
            >= 0xA0 and <= 0xBF => code & 0x1F,
            0xD9 => Take(1)[0],
            0xDA => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xDB => checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw new InvalidDataException($"expected a string, found 0x{code:X2}"),
        };
        return Take(length);
    }

    public string? String() => data[at] == 0xC0 ? SkipNil() : Encoding.UTF8.GetString(StringBytes());

    /// <summary>Binary data (bin 8/16/32).</summary>
    public ReadOnlySpan<byte> Binary()
    {
        byte code = data[at++];
        int length = code switch
        {
            0xC4 => Take(1)[0],
            0xC5 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xC6 => checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw new InvalidDataException($"expected binary data, found 0x{code:X2}"),
        };
        return Take(length);
    }

    /// <summary>Skips one value of any type.</summary>
    public void Skip()
    {
        byte code = data[at];
        switch (code)
        {
            case <= 0x7F or >= 0xE0 or 0xC0 or 0xC2 or 0xC3:
                at++;
                break;
            case >= 0x80 and <= 0x8F:
                at++;
                SkipMany(2 * (code & 0x0F));
                break;
            case >= 0x90 and <= 0x9F or 0xDC or 0xDD:
                SkipMany(ArrayHeader());
                break;
            case >= 0xA0 and <= 0xBF or 0xD9 or 0xDA or 0xDB:
                StringBytes();
                break;
            case 0xC4 or 0xC5 or 0xC6:
                Binary();
                break;
            case 0xCA:
                at += 5;
                break;
            case 0xCB:
                at += 9;
                break;
            case 0xDE:
                at++;
                SkipMany(2 * BinaryPrimitives.ReadUInt16BigEndian(Take(2)));
                break;
            default:
                Integer();
                break;
        }
    }

    private string? SkipNil()
    {
        at++;
        return null;
    }

    private void SkipMany(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Skip();
        }
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        var taken = data.Slice(at, length);
        at += length;
        return taken;
    }
}
