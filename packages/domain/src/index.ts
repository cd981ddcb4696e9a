export * from "./Classified"
