using System.Collections.Concurrent;
using Confab.Messages;

namespace Confab.Web.Chat;

/// <summary>
/// One instance per message state for every page of the process: each page reads its history from the store and
/// applies reactions itself, which made fifty copies of a message for fifty readers, each with its own rendered markup
/// (<see cref="MessageView"/>). Interning hands every page the instance already held when it is equal by value.
/// </summary>
/// <remarks>Entries are weak: a message no page holds any more is collected, and its entry is swept out later.</remarks>
public static class SharedMessages
{
    private const int SweepEvery = 4096;

    private static readonly ConcurrentDictionary<long, WeakReference<Message>> ById = new();
    private static int interned;

    /// <summary>The instance every page shares for this state of the message: <paramref name="message"/> itself, or an equal one.</summary>
    public static Message Intern(Message message)
    {
        if (ById.TryGetValue(message.Id, out var held) && held.TryGetTarget(out var shared) && shared.Equals(message))
        {
            return shared;
        }

        ById[message.Id] = new WeakReference<Message>(message);
        if (Interlocked.Increment(ref interned) % SweepEvery == 0)
        {
            Sweep();
        }

        return message;
    }

    private static void Sweep()
    {
        foreach (var (id, held) in ById)
        {
            if (!held.TryGetTarget(out _))
            {
                ById.TryRemove(new KeyValuePair<long, WeakReference<Message>>(id, held));
            }
        }
    }
}
