/**
 * A demonstration of the portable session layer through the plain Servlet API ({@code HttpSession}, listeners as
 * CDI beans), under {@code /api/demo/session}. Depends on the Servlet and JAX-RS APIs only.
 */
package org.redsession.demo;
