package org.gpupass.bus.wire;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Two connected ends of a Unix stream socket, as a D-Bus connection has; the socket file is gone once connected. */
record SocketPair(SocketChannel client, SocketChannel server) implements AutoCloseable {

    static SocketPair open(Path socketFile) throws IOException {
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(socketFile));
            SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socketFile));
            return new SocketPair(client, listener.accept());
        } finally {
            Files.deleteIfExists(socketFile);
        }
    }

    @Override
    public void close() throws IOException {
        client.close();
        server.close();
    }
}
