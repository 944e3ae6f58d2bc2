using Confab.Messages;
using Confab.Rooms;
using Confab.Storage;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Tests.Messages;

public sealed class MessageLogTests
{
    private static readonly Room General = new(1, "General", "", "general", DateTime.UtcNow);
    private static readonly Room Ghost = new(999, "Ghost", "", "ghost", DateTime.UtcNow);

    [Fact]
    public async Task A_message_that_cannot_be_stored_fails_alone_and_the_rest_of_its_batch_commits()
    {
        await using var app = new ConfabFactory();
        await app.ClientForNewUserAsync("alice");
        var log = app.Services.GetRequiredService<MessageLog>();
        var alice = new MessageAuthor(1, "alice");

        // Queued together, so they share a group commit; room 999 does not exist (foreign key).
        var sends = Enumerable.Range(0, 30)
            .Select(i => log.AppendAsync(i == 15 ? Ghost : General, alice, $"m{i}", null).AsTask())
            .ToList();
        var failed = await Assert.ThrowsAsync<StorageException>(() => sends[15]).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(StorageErrorKind.Constraint, failed.Kind);
        var committed = await Task.WhenAll(sends.Where((_, i) => i != 15)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(1, 29).Select(i => (long)i), committed.Select(r => r.Message.Seq).Order());
        var page = await app.Services.GetRequiredService<ChatStore>().ListMessagesAfterAsync(1, 0, null, 100);
        Assert.Equal(29, page.Messages.Count);
    }

    [Fact]
    public async Task A_send_completes_only_after_its_message_reads_back_from_the_database()
    {
        await using var app = new ConfabFactory();
        await app.ClientForNewUserAsync("alice");
        var log = app.Services.GetRequiredService<MessageLog>();
        var store = app.Services.GetRequiredService<ChatStore>();

        for (var i = 0; i < 20; i++)
        {
            var result = await log.AppendAsync(General, new MessageAuthor(1, "alice"), $"m{i}", $"k{i}").AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            var stored = await store.GetMessageByClientIdAsync(1, $"k{i}");
            Assert.Equal(result.Message, stored);
        }
    }
}
