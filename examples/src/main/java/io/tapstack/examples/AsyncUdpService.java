package io.tapstack.examples;

import io.tapstack.socket.StackClosedException;
import io.tapstack.socket.UdpSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.PortUnreachableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * A UDP server in the socket API's asynchronous style: {@code receiveAsync} again after each datagram, which the
 * handler answers on the callback executor; no thread of its own (where {@link UdpServer} holds one).
 */
final class AsyncUdpService implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(AsyncUdpService.class);

    private final String name;
    private final UdpSocket socket;
    private final UdpServer.Handler handler;
    private final BiConsumer<UdpSocket.Datagram, Throwable> onDatagram = this::onDatagram;
    private final AtomicLong datagrams = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private volatile boolean closed;

    AsyncUdpService(final String name, final UdpSocket socket, final UdpServer.Handler handler)
    {
        this.name = name;
        this.socket = socket;
        this.handler = handler;
    }

    AsyncUdpService start()
    {
        socket.receiveAsync().whenComplete(onDatagram);
        return this;
    }

    String name()
    {
        return name;
    }

    int port()
    {
        return socket.localPort();
    }

    long datagrams()
    {
        return datagrams.get();
    }

    String summary()
    {
        return String.format("%s: %d UDP datagrams (%d bytes) on port %d%n", name, datagrams.get(), bytes.get(),
            port());
    }

    private void onDatagram(final UdpSocket.Datagram datagram, final Throwable failure)
    {
        if (failure != null)
        {
            final Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
            if (!(cause instanceof PortUnreachableException))
            {
                if (!closed && !(cause instanceof StackClosedException))
                {
                    LOG.warn("{}: UDP receive failed, no more datagrams: {}", name, cause.getMessage());
                }
                return;
            }
            // an answer we sent met a closed port: that client went away, which is no reason to stop
            LOG.debug("{}: {}", name, cause.getMessage());
        }
        else
        {
            datagrams.incrementAndGet();
            bytes.addAndGet(datagram.data().length);
            try
            {
                handler.onDatagram(socket, datagram);
            }
            catch (final IOException ex)
            {
                LOG.debug("{}: no answer to {}: {}", name, datagram, ex.getMessage());
            }
        }
        if (!closed)
        {
            socket.receiveAsync().whenComplete(onDatagram);
        }
    }

    @Override
    public void close()
    {
        closed = true;
        socket.close();
    }
}
