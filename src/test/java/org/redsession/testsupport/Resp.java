package org.redsession.testsupport;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal blocking RESP2 client for one connection to a Redis on 127.0.0.1, for test set-up and inspection only.
 *
 * <p>Replies map to String (simple and bulk strings, decoded as UTF-8), Long (integers), List&lt;Object&gt;
 * (arrays) and null (nil); error replies throw {@link RespError}. An I/O failure (including a read timeout) throws
 * {@link UncheckedIOException} and closes the connection, since the stream can no longer be trusted.
 */
public final class Resp implements AutoCloseable {

    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);

    private final int port;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** Connects to 127.0.0.1:port with the default 5 s read timeout. */
    public Resp(int port) {
        this(port, DEFAULT_READ_TIMEOUT);
    }

    /** Connects to 127.0.0.1:port (2 s connect timeout) with the given read timeout. */
    public Resp(int port, Duration readTimeout) {
        this.port = port;
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout(Math.toIntExact(readTimeout.toMillis()));
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                    Math.toIntExact(CONNECT_TIMEOUT.toMillis()));
            this.socket = s;
            this.in = new BufferedInputStream(s.getInputStream());
            this.out = new BufferedOutputStream(s.getOutputStream());
        } catch (IOException e) {
            closeQuietly(s);
            throw new UncheckedIOException("cannot connect to redis at 127.0.0.1:" + port, e);
        }
    }

    /** Sends one command and returns its reply (String, Long, List&lt;Object&gt; or null). */
    public synchronized Object call(String... args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("no command given");
        }
        try {
            writeCommand(args);
            return readReply();
        } catch (IOException e) {
            closeQuietly(socket);
            throw new UncheckedIOException("redis 127.0.0.1:" + port + " failed on " + args[0], e);
        }
    }

    public int port() {
        return port;
    }

    public boolean isClosed() {
        return socket.isClosed();
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    private void writeCommand(String[] args) throws IOException {
        out.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            out.write(('$' + Integer.toString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.write('\r');
            out.write('\n');
        }
        out.flush();
    }

    private Object readReply() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by redis");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new RespError(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] data = in.readNBytes(length);
                if (data.length != length || in.read() != '\r' || in.read() != '\n') {
                    throw new EOFException("truncated bulk string");
                }
                return new String(data, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    try {
                        items.add(readReply());
                    } catch (RespError nestedError) {
                        // e.g. EXEC results: keep the error as an element, the stream stays in sync.
                        items.add(nestedError);
                    }
                }
                return items;
            }
            default:
                throw new IOException("unexpected RESP type byte '" + (char) type + "' followed by: " + line);
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed by redis in the middle of a reply");
            }
            if (b == '\r') {
                int next = in.read();
                if (next != '\n') {
                    throw new IOException("malformed line ending in RESP reply");
                }
                return buffer.toString(StandardCharsets.UTF_8);
            }
            buffer.write(b);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }
}
