/**
 * Metric recorders over MicroProfile Metrics ({@link org.redsession.metrics.SessionMetrics}). Leaf package: depends
 * on nothing internal.
 */
package org.redsession.metrics;
