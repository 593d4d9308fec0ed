package io.tapstack.forward;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's one poll on its TAP and its selector (the module's tests open sun.nio.ch, as the examples jar does):
 * a pipe stands for the TAP. Each wait below is bounded by a minute: a poll that missed its event fails the test by
 * timing out rather than by a clock assertion.
 */
class TapAndSelectorPollTest
{
    private static final int A_MINUTE_MS = 60_000;

    private static int fd(final Object channel) throws ReflectiveOperationException
    {
        final Method getFdVal = channel.getClass().getMethod("getFDVal");
        getFdVal.setAccessible(true);
        return (int)getFdVal.invoke(channel);
    }

    @Test
    void aFrameOnTheTapEndsTheWaitAndSaysSo() throws Exception
    {
        try (Selector selector = Selector.open())
        {
            final Pipe tap = Pipe.open();
            try
            {
                final TapAndSelectorPoll poll = TapAndSelectorPoll.open(fd(tap.source()), selector);
                assertNotNull(poll, "the selector's epoll descriptor is reachable");
                assertFalse(poll.await(0), "nothing readable yet");
                tap.sink().write(ByteBuffer.wrap(new byte[] {1}));
                assertTrue(poll.await(A_MINUTE_MS), "a frame to read");
            }
            finally
            {
                tap.sink().close();
                tap.source().close();
            }
        }
    }

    @Test
    void aReadySocketOrAWakeUpEndsTheWaitWithoutAFrame() throws Exception
    {
        try (Selector selector = Selector.open();
            ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept())
        {
            final Pipe tap = Pipe.open();
            try
            {
                final TapAndSelectorPoll poll = TapAndSelectorPoll.open(fd(tap.source()), selector);
                assertNotNull(poll);
                accepted.configureBlocking(false);
                accepted.register(selector, SelectionKey.OP_READ);
                assertEquals(0, selector.selectNow(), "the registration applied, nothing ready");
                client.write(ByteBuffer.wrap(new byte[] {1}));
                assertFalse(poll.await(A_MINUTE_MS), "the socket ended the wait, not the TAP");
                assertEquals(1, selector.selectNow());
                selector.selectedKeys().clear();
                accepted.read(ByteBuffer.allocate(8));
                assertEquals(0, selector.selectNow(), "drained");

                selector.wakeup(); // what ForwardLoop.execute and close do
                assertFalse(poll.await(A_MINUTE_MS), "the wake-up ended the wait");
            }
            finally
            {
                tap.sink().close();
                tap.source().close();
            }
        }
    }

    @Test
    void aSelectorWithoutAnEpollDescriptorHasNone() throws IOException
    {
        // a selector that is not the JDK's Linux one stands for an unreachable descriptor
        try (Selector other = java.nio.channels.spi.SelectorProvider.provider().openSelector())
        {
            assertTrue(TapAndSelectorPoll.epollDescriptor(other) >= 0, "the JDK's own selector is reachable here");
        }
        assertEquals(-1, TapAndSelectorPoll.epollDescriptor(new NotASelector()));
    }

    /** A selector without an epoll descriptor. */
    private static final class NotASelector extends java.nio.channels.spi.AbstractSelector
    {
        NotASelector()
        {
            super(null);
        }

        @Override
        protected void implCloseSelector()
        {
        }

        @Override
        protected SelectionKey register(final java.nio.channels.spi.AbstractSelectableChannel ch, final int ops,
            final Object att)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.util.Set<SelectionKey> keys()
        {
            return java.util.Set.of();
        }

        @Override
        public java.util.Set<SelectionKey> selectedKeys()
        {
            return java.util.Set.of();
        }

        @Override
        public int selectNow()
        {
            return 0;
        }

        @Override
        public int select(final long timeout)
        {
            return 0;
        }

        @Override
        public int select()
        {
            return 0;
        }

        @Override
        public Selector wakeup()
        {
            return this;
        }
    }
}
