package dev.graft.inference.endpoint;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Every 4xx/5xx body: {"error": "..."}, a message a user can act on (also the Open Inference Protocol's error body). */
public record ApiError(String error) {

    static Response response(Response.Status status, String message) {
        return response(status.getStatusCode(), message);
    }

    static Response response(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(message)).build();
    }
}
