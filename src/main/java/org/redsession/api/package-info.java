/**
 * The REST API (JAX-RS): thin resources that parse, delegate to {@code security}/{@code account} and map results;
 * the CSRF filter. Errors are mapped in {@code api.error}.
 */
package org.redsession.api;
