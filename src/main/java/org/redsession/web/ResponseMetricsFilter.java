package org.redsession.web;

import java.io.IOException;

import jakarta.inject.Inject;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.redsession.metrics.SessionMetrics;

/**
 * Counts every response of this instance by its HTTP status ({@code http_responses_total{status}}), for the 503 and
 * 429 alerts and the dashboard's requests by status. First in the chain, so it sees the status the client gets; an
 * asynchronous request (for example one held by the near cache's write fence) is counted when it completes.
 */
public class ResponseMetricsFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    @Inject
    transient SessionMetrics metrics;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        try {
            chain.doFilter(request, response);
        } catch (IOException | ServletException | RuntimeException e) {
            metrics.responded(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
            throw e;
        }
        if (request.isAsyncStarted()) {
            request.getAsyncContext().addListener(new AsyncListener() {
                @Override
                public void onComplete(AsyncEvent event) {
                    metrics.responded(response.getStatus());
                }

                @Override
                public void onTimeout(AsyncEvent event) {
                    // counted by onComplete, which follows
                }

                @Override
                public void onError(AsyncEvent event) {
                    // counted by onComplete, which follows
                }

                @Override
                public void onStartAsync(AsyncEvent event) {
                    // a restarted request keeps this listener only if re-added; it completes once
                }
            });
        } else {
            metrics.responded(response.getStatus());
        }
    }
}
