/**
 * Cross-cutting servlet concerns that are not sessions: the JSON error body written before JAX-RS runs. Servlet API
 * only.
 */
package org.redsession.web;
