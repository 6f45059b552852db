# The Rollcall image: one jar, every module; which ones a container runs is chosen by
# `serve --verticles` (see docker-compose.yml). Built from source with the Maven wrapper.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -ntp -DskipTests package

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/app/target/rollcall.jar /app/rollcall.jar
# Not root: the control plane needs no privilege (the embedded servers are for dev, not this image).
RUN useradd --system --no-create-home rollcall
USER rollcall
# 8080: agent API, operator API, health, metrics. 5701: Hazelcast. The event bus port is
# ROLLCALL_EVENT_BUS_PORT (0 = any; containers on one network reach each other on any port).
EXPOSE 8080 5701
ENTRYPOINT ["java", "-jar", "/app/rollcall.jar"]
CMD ["serve"]
