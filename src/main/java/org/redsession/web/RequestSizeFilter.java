package org.redsession.web;

import java.io.IOException;

import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.redsession.config.SecuritySettings;

/**
 * Refuses request bodies larger than {@code security.max-request-bytes} with 413 {@code payload_too_large}: at once
 * when {@code Content-Length} says so, and while reading when a chunked body grows beyond the limit.
 */
public class RequestSizeFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;
    private static final String EXCEEDED = RequestSizeFilter.class.getName() + ".exceeded";

    @Inject
    transient SecuritySettings settings;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        long limit = settings.maxRequestBytes();
        if (request.getContentLengthLong() > limit) {
            tooLarge(response, limit);
            return;
        }
        try {
            chain.doFilter(new Limited(request, limit), response);
        } catch (IOException | ServletException | RuntimeException e) {
            if (request.getAttribute(EXCEEDED) == null) {
                throw e;
            }
        }
        if (request.getAttribute(EXCEEDED) != null) {
            tooLarge(response, limit);
        }
    }

    private static void tooLarge(HttpServletResponse response, long limit) throws IOException {
        JsonError.send(response, 413, "payload_too_large", "The request body is larger than " + limit + " bytes.");
    }

    /** Counts the bytes read and fails once the limit is passed. */
    private static final class Limited extends HttpServletRequestWrapper {
        private final long limit;
        private ServletInputStream stream;

        Limited(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                ServletInputStream in = super.getInputStream();
                stream = new ServletInputStream() {
                    private long read;

                    private int count(int n) throws IOException {
                        if (n > 0) {
                            read += n;
                            if (read > limit) {
                                getRequest().setAttribute(EXCEEDED, Boolean.TRUE);
                                throw new IOException("request body larger than " + limit + " bytes");
                            }
                        }
                        return n;
                    }

                    @Override
                    public int read() throws IOException {
                        int b = in.read();
                        if (b >= 0) {
                            count(1);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        return count(in.read(b, off, len));
                    }

                    @Override
                    public boolean isFinished() {
                        return in.isFinished();
                    }

                    @Override
                    public boolean isReady() {
                        return in.isReady();
                    }

                    @Override
                    public void setReadListener(ReadListener listener) {
                        in.setReadListener(listener);
                    }
                };
            }
            return stream;
        }
    }
}
